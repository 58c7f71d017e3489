import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { openStore } from '../store/open.ts';
import { loadGraphs, saveGraphs, seqBaseStamp, stampOf } from './file.ts';
import { buildItemGraphs, DEFAULT_GRAPH_OPTIONS } from './graph.ts';
import { withUserKeys } from './users.ts';

test('model stamp: one fit bag is the fit before bagging (stamps stay), more bags are another model', () => {
  const cfg = parseConfig({}).train;
  const { fitBags, ...before } = cfg;
  assert.equal(fitBags, 1);
  const stamp = stampOf('d', cfg).stamp;
  assert.equal(
    stampOf('d', { ...cfg, threads: 1, keepVersions: 9 }).stamp,
    stamp,
    'settings that do not shape the model',
  );
  assert.equal(stampOf('d', before as typeof cfg).stamp, stamp, 'a config written before fitBags existed');
  assert.notEqual(stampOf('d', { ...cfg, fitBags: 8 }).stamp, stamp);
  // title words never read is the catalogue read as before the setting existed
  const { attrTitleWords: _words, ...noTitleKey } = cfg;
  const never = stampOf('d', { ...cfg, attrTitleWords: 'never' }).stamp;
  assert.equal(stampOf('d', noTitleKey as typeof cfg).stamp, never, 'a config written before attrTitleWords');
  assert.notEqual(stampOf('d', { ...cfg, attrTitleWords: 'always' }).stamp, never);
  assert.notEqual(stamp, never, 'the default reads the titles of items without metadata');
  // no users kept for cross-scenario matching (the default) is the model as before the setting
  const { crossUsers, ...noUsersKey } = cfg;
  assert.equal(crossUsers, 0);
  assert.equal(stampOf('d', noUsersKey as typeof cfg).stamp, stamp, 'a config written before crossUsers');
  assert.notEqual(stampOf('d', { ...cfg, crossUsers: 200 }).stamp, stamp);
});

/** runs `fn` on a fresh store in a temporary directory, removed afterwards */
async function withStore(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fr-graphs-'));
  const store = await openStore(join(dir, 'g.db'));
  try {
    await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const SEQS = [
  [0, 1, 2],
  [1, 2, 3],
  [0, 3],
];

test('graphs keep their latent factors through the store, and load without them when there are none', async () => {
  await withStore(async (store) => {
    const als = { factors: 2, reg: 1, alpha: 3, iters: 3 };
    const graphs = buildItemGraphs(SEQS, 4, () => 's', { ...DEFAULT_GRAPH_OPTIONS, als });
    await saveGraphs(store, 'k', 'stamp', graphs);
    const back = await loadGraphs(store, 'k', 'stamp');
    assert.deepEqual(back?.als, graphs.als);
    const plain = buildItemGraphs(SEQS, 4, () => 's', {
      ...DEFAULT_GRAPH_OPTIONS,
      als: { ...als, factors: 0 },
    });
    await saveGraphs(store, 'p', 'stamp', plain);
    assert.equal((await loadGraphs(store, 'p', 'stamp'))?.als, undefined);
    // a model without factors saved where one with them was: the old factors do not come back
    await saveGraphs(store, 'k', 'stamp2', plain);
    assert.equal((await loadGraphs(store, 'k', 'stamp2'))?.als, undefined);
  });
});

test('graphs keep the users kept for cross-scenario matching through the store', async () => {
  await withStore(async (store) => {
    const two = (i: number) => (i < 2 ? 'a' : 'b');
    const opts = { ...DEFAULT_GRAPH_OPTIONS, easeItems: 0, crossUsers: 7 };
    const built = buildItemGraphs(SEQS, 4, two, opts);
    assert.ok(built.users);
    const graphs = { ...built, users: withUserKeys(built.users, SEQS, two, ['u1', 'u2', 'u3']) };
    assert.equal(graphs.users.keys?.length, 3);
    await saveGraphs(store, 'k', 'stamp', graphs);
    assert.deepEqual((await loadGraphs(store, 'k', 'stamp'))?.users, graphs.users);
    // saved again without keys: none come back
    await saveGraphs(store, 'k', 'stamp1', built);
    assert.deepEqual((await loadGraphs(store, 'k', 'stamp1'))?.users, built.users);
    // saved again without them (one scenario): they do not come back
    await saveGraphs(
      store,
      'k',
      'stamp2',
      buildItemGraphs(SEQS, 4, () => 's', opts),
    );
    assert.equal((await loadGraphs(store, 'k', 'stamp2'))?.users, undefined);
  });
});

test('graphs keep the arrivals from another scenario through the store, and drop them when none are counted', async () => {
  await withStore(async (store) => {
    const two = (i: number) => (i < 2 ? 'a' : 'b');
    const opts = { ...DEFAULT_GRAPH_OPTIONS, easeItems: 0, arrivals: true };
    const graphs = buildItemGraphs(SEQS, 4, two, opts);
    assert.ok(graphs.crossCounts?.some((c) => c > 0));
    await saveGraphs(store, 'k', 'stamp', graphs);
    assert.deepEqual((await loadGraphs(store, 'k', 'stamp'))?.crossCounts, graphs.crossCounts);
    // saved again without them: they do not come back
    await saveGraphs(store, 'k', 'stamp2', buildItemGraphs(SEQS, 4, two, { ...opts, arrivals: false }));
    assert.equal((await loadGraphs(store, 'k', 'stamp2'))?.crossCounts, undefined);
  });
});

test('model stamp: arrivals switched off is the stamp before they could be counted; on is another model', () => {
  const { popularityCross: _on, ...before } = parseConfig({}).train;
  const off = stampOf('d', { ...before, popularityCross: false }).stamp;
  assert.equal(off, stampOf('d', before as ReturnType<typeof parseConfig>['train']).stamp);
  const on = { ...before, popularityCross: true };
  assert.notEqual(stampOf('d', on).stamp, off);
  // the feature shapes the ranker alone: both models share one sequential model
  assert.equal(seqBaseStamp(stampOf('d', on).stamp, on), off);
  assert.equal(seqBaseStamp(off, { ...before, popularityCross: false }), off);
  assert.notEqual(seqBaseStamp(stampOf('e', on).stamp, on), off, 'other data, another sequential model');
});
