import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAttrGraph } from '../model/attr.ts';
import { latentOf } from '../model/graph.ts';
import { occurrences, type SideInit, sideGraphs, sideGraphsAside, sideTasks } from './train-graphs.ts';

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
const fitSeqs = [
  [0, 1, 1],
  [3, 4],
  [5, 2, 2],
];
const allSeqs = [
  [0, 1, 1],
  [3, 4, 3, 3],
  [5, 2, 2, 2],
];
const opts = { neighbours: 300, postings: 1000, cross: 0 };
const latent = { als: { factors: 2, reg: 0.1, alpha: 1, iters: 2 }, crossScenario: true };

describe('graph stage: the graphs that need no tuned setting', () => {
  const init: SideInit = {
    numItems: tokens.length,
    scenario,
    sequences: [fitSeqs, allSeqs],
    attr: { tokens, opts },
    latent,
  };

  it('counts each occurrence of an item in the sequences', () => {
    assert.deepEqual(Array.from(occurrences(fitSeqs, tokens.length)), [1, 2, 2, 1, 1, 1, 0]);
  });

  it('per graph set: its attribute graph, ties broken by its own counts, and its factorisations', () => {
    const [fit, final] = sideGraphs(init);
    const attrOf = (seqs: number[][]) =>
      buildAttrGraph(tokens, scenario, occurrences(seqs, tokens.length), opts);
    assert.deepEqual(fit!.attr, attrOf(fitSeqs));
    assert.deepEqual(final!.attr, attrOf(allSeqs));
    assert.notDeepEqual(fit!.attr, final!.attr, 'the counts break the ties: the two orders differ');
    const latentOfSeqs = (seqs: number[][]) => latentOf(seqs, tokens.length, (i) => scenario[i]!, latent);
    assert.deepEqual({ als: fit!.als, alsFused: fit!.alsFused }, latentOfSeqs(fitSeqs));
    assert.deepEqual({ als: final!.als, alsFused: final!.alsFused }, latentOfSeqs(allSeqs));
    assert.ok(fit!.alsFused, 'two scenarios: the fused factorisation too');
    const none = sideGraphs({ numItems: tokens.length, scenario, sequences: [fitSeqs] });
    assert.deepEqual(none, [{}]);
  });

  it("cuts the pieces longest first: every set's factorisations, then every set's attribute graph", () => {
    assert.deepEqual(sideTasks(init), [
      { set: 0, kind: 'latent' },
      { set: 1, kind: 'latent' },
      { set: 0, kind: 'attr' },
      { set: 1, kind: 'attr' },
    ]);
    assert.deepEqual(sideTasks({ ...init, latent: undefined }), [
      { set: 0, kind: 'attr' },
      { set: 1, kind: 'attr' },
    ]);
  });

  it('on two threads, the pieces each thread takes merge into the graphs of one thread', async () => {
    const aside = sideGraphsAside(init, 2, new AbortController().signal);
    await aside.done;
    // the side thread took every piece before this one asked: now it takes none
    assert.deepEqual(await aside.rest(), sideGraphs(init));
    // this thread first: it takes what the side thread has not yet
    const eager = sideGraphsAside(init, 2, new AbortController().signal);
    assert.deepEqual(await eager.rest(), sideGraphs(init));
  });

  it('stops both threads when the training is stopped', async () => {
    const ac = new AbortController();
    const aside = sideGraphsAside(init, 2, ac.signal);
    ac.abort();
    await assert.rejects(aside.rest(), (e: Error) => e.name === 'AbortError');
    await assert.rejects(aside.done, (e: Error) => e.name === 'AbortError');
  });
});
