import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { buildAttrGraph } from '../model/attr.ts';
import { attributeGraphsAside, occurrences } from './train-graphs.ts';

const cfg = parseConfig({}).train;
// two scenarios; items 0-3 share a brand, 4-5 a tag, 6 shares nothing
const tokens = [
  ['attr:brand=x', 'cat:a'],
  ['attr:brand=x', 'cat:a'],
  ['attr:brand=x'],
  ['attr:brand=x', 'cat:a', 'tag:t'],
  ['tag:u'],
  ['tag:u'],
  ['tag:lonely'],
];
const scenario = ['s', 's', 's', 's', 'k', 'k', 'k'];
const fitCounts = occurrences(
  [
    [0, 1, 1],
    [3, 4],
    [5, 2, 2],
  ],
  tokens.length,
);
const finalCounts = occurrences(
  [
    [0, 1, 1],
    [3, 4, 3, 3],
    [5, 2, 2, 2],
  ],
  tokens.length,
);
const opts = { neighbours: cfg.attrNeighbors, postings: cfg.attrPostings };

describe('graph stage: the attribute graphs beside the item graphs', () => {
  it('counts each occurrence of an item in the sequences', () => {
    assert.deepEqual(Array.from(fitCounts), [1, 2, 2, 1, 1, 1, 0]);
  });

  it('a thread of their own builds what this thread builds, each with its own counts', async () => {
    const want = {
      fit: buildAttrGraph(tokens, scenario, fitCounts, opts),
      final: buildAttrGraph(tokens, scenario, finalCounts, opts),
    };
    // the counts break the ties: the two orders differ
    assert.notDeepEqual(want.fit, want.final);
    for (const threads of [1, 2]) {
      const got = await attributeGraphsAside(
        tokens,
        scenario,
        { fit: fitCounts, final: finalCounts },
        cfg,
        threads,
        undefined,
      );
      assert.deepEqual(got, want, `threads ${threads}`);
    }
    const alone = await attributeGraphsAside(tokens, scenario, { fit: fitCounts }, cfg, 2, undefined);
    assert.deepEqual(alone.fit, want.fit);
    assert.equal(alone.final, alone.fit, 'no held-out targets: the served graphs are the fit graphs');
  });

  it('no graph without metadata or neighbours; an interrupt stops the thread', async () => {
    const none = await attributeGraphsAside(
      [[], []],
      ['s', 's'],
      { fit: new Float32Array(2) },
      cfg,
      2,
      undefined,
    );
    assert.deepEqual(none, {});
    const off = { ...cfg, attrNeighbors: 0 };
    assert.deepEqual(await attributeGraphsAside(tokens, scenario, { fit: fitCounts }, off, 2, undefined), {});
    const stop = new AbortController();
    const pending = attributeGraphsAside(tokens, scenario, { fit: fitCounts }, cfg, 2, stop.signal);
    stop.abort();
    await assert.rejects(pending, { name: 'AbortError' });
  });
});
