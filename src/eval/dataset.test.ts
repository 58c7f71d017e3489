import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { EventInput } from '../core/types.ts';
import { SqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/types.ts';
import { loadEvalData, slicesOf } from './dataset.ts';
import { storeOfData } from './models/engine-store.ts';
import { runEvaluation } from './run.ts';
import type { EvalData, EvalModel, FitOptions } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-eval-dataset-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function musicStore(): Promise<SqliteStore> {
  const store = new SqliteStore(join(dir, `m${n++}.db`));
  await store.scenarios.upsert([
    { id: 'music', kind: 'music', eventWeights: {}, allowRepeats: true },
    { id: 'social', kind: 'social', eventWeights: {}, allowRepeats: false },
  ]);
  await store.items.upsert([
    ...Array.from({ length: 30 }, (_, i) => ({
      id: `a${i}`,
      scenario: 'music',
      title: `artist ${i}`,
      available: true,
    })),
    { id: 'user:u1', scenario: 'social', title: 'u1', available: true },
  ]);
  const events: EventInput[] = [];
  for (let u = 0; u < 6; u++) {
    for (let i = 0; i < 10 + u; i++) {
      events.push({
        id: `p${u}-${i}`,
        user: `u${u}`,
        item: `a${(u * 3 + i) % 30}`,
        scenario: 'music',
        type: 'play',
        value: 5,
        ts: 1000 + i,
      });
    }
    events.push({ id: `t${u}`, user: `u${u}`, item: 'a0', scenario: 'music', type: 'tag', ts: 5000 });
    events.push({
      id: `f${u}`,
      user: `u${u}`,
      item: 'user:u1',
      scenario: 'social',
      type: 'follow',
      ts: 5000,
    });
  }
  await store.events.add(events as never);
  return store;
}

test('lastfm-2k: a seeded per-user hold-out of listened artists; tags and follows are not interactions', async () => {
  const store = await musicStore();
  try {
    const a = await loadEvalData(store, 'lastfm-2k', { seed: 7 });
    const b = await loadEvalData(store, 'lastfm-2k', { seed: 7 });
    const c = await loadEvalData(store, 'lastfm-2k', { seed: 8 });
    assert.equal(a.data.itemIds.length, 30, 'the social scenario is not part of the catalogue');
    assert.deepEqual(a.test, b.test, 'same seed, same split');
    assert.notDeepEqual(
      a.test.map((t) => t.targets),
      c.test.map((t) => t.targets),
      'another seed draws another split',
    );
    assert.equal(a.test.length, 6);
    for (const t of a.test) {
      const user = a.data.users.find((u) => u.user === t.query.user)!;
      const train = new Set(user.train.map((e) => e.item));
      const valid = a.valid.find((v) => v.query.user === t.query.user)!;
      assert.ok(t.targets.length >= 2, 'about 20% of 10+ artists');
      for (const x of t.targets)
        assert.ok(!train.has(x) && !valid.targets.includes(x), 'test, valid and train are disjoint');
      assert.ok(user.train.every((e) => e.type === 'play'));
      // the test query sees train + valid, the valid query train only
      assert.equal(t.query.history.length, user.train.length + valid.targets.length);
      assert.equal(valid.query.history.length, user.train.length);
    }
  } finally {
    await store.close();
  }
});

test("lastfm-2k: the engine's store, written from the in-memory split, has the source store's scenarios, repeats off", async () => {
  const store = await musicStore();
  const written: { ownStore: boolean; store: Store }[] = [];
  // what the engine model trains on (src/eval/models/engine.ts), without training it
  const recorder = (): EvalModel => {
    let items = 0;
    return {
      name: 'recorder',
      params: () => ({}),
      async fit(data: EvalData, opts: FitOptions) {
        items = data.itemIds.length;
        written.push({
          ownStore: opts.store === undefined,
          store: await storeOfData(data, opts.valid, opts.scenarios),
        });
      },
      score: () => new Float32Array(items),
    };
  };
  try {
    // weights and repeats unlike those of a scenario without a row
    await store.scenarios.upsert([
      { id: 'music', kind: 'music', eventWeights: { play: 2, tag: 0.5 }, allowRepeats: true },
    ]);
    await runEvaluation(store, 'lastfm-2k', {
      seed: 7,
      models: ['recorder'],
      extraModels: { recorder: { description: 'records the store it would train on', create: recorder } },
      configHash: 'test',
      command: 'test',
    });
    assert.equal(written.length, 1);
    assert.ok(written[0]!.ownStore, 'the split exists in memory only');
    // the source's event weights; repeats off, as the protocol masks the history
    assert.deepEqual(
      await written[0]!.store.scenarios.list(),
      (await store.scenarios.list()).map((s) => ({ ...s, allowRepeats: false })),
    );
    assert.deepEqual((await written[0]!.store.scenarios.list())[0]!.eventWeights, { play: 2, tag: 0.5 });
  } finally {
    for (const w of written) await w.store.close();
    await store.close();
  }
});

test('an empty store or a store without test events is an error naming the field', async () => {
  const store = new SqliteStore(join(dir, `e${n++}.db`));
  try {
    await assert.rejects(loadEvalData(store, 'scientific', { seed: 1 }), {
      code: 'NOT_FOUND',
      field: 'dataset',
    });
    await assert.rejects(loadEvalData(store, 'nope' as never, { seed: 1 }), {
      code: 'INVALID_INPUT',
      field: 'dataset',
    });
  } finally {
    await store.close();
  }
});

test('a held-out user with targets in two scenarios gets a case in each, not only in that of the last line', async () => {
  const store = new SqliteStore(join(dir, `fk${n++}.db`));
  try {
    await store.scenarios.upsert([
      { id: 'food', kind: 'ecommerce', eventWeights: {}, allowRepeats: false },
      { id: 'kitchen', kind: 'ecommerce', eventWeights: {}, allowRepeats: false },
    ]);
    await store.items.upsert(
      ['f1', 'f2', 'f3', 'k1', 'k2', 'k3'].map((id) => ({
        id,
        scenario: id.startsWith('f') ? 'food' : 'kitchen',
        title: id,
        available: true,
      })),
    );
    const e = (id: string, user: string, item: string, split: string, ts: number) => ({
      id,
      user,
      item,
      scenario: item.startsWith('f') ? 'food' : 'kitchen',
      type: 'purchase',
      ts,
      split,
    });
    // each held-out user's lines: the kitchen target, then the food one, at one time
    await store.events.add([
      e('a', 'u0', 'f1', 'train', 1),
      e('b', 'u0', 'k1', 'train', 2),
      e('c', 'u1', 'f1', 'valid_input', 1),
      e('d', 'u1', 'k2', 'valid', 9),
      e('g', 'u1', 'f2', 'valid', 9),
      e('h', 'u2', 'k1', 'test_input', 1),
      e('i', 'u2', 'k3', 'test', 9),
      e('j', 'u2', 'f3', 'test', 9),
    ] as never);
    const set = await loadEvalData(store, 'food-kitchen', { seed: 1 });
    const of = (cases: typeof set.valid) =>
      cases.map(
        (c) => `${c.query.user} ${c.query.scenario} ${c.targets.map((t) => set.data.itemIds[t]).join()}`,
      );
    assert.deepEqual(of(set.valid).sort(), ['u1 food f2', 'u1 kitchen k2']);
    assert.deepEqual(of(set.test).sort(), ['u2 food f3', 'u2 kitchen k3']);
  } finally {
    await store.close();
  }
});

test("slices by the targets' training counts: rare (at most 9), popular (at least 30), cold (0)", () => {
  const counts = Uint32Array.from([0, 3, 9, 10, 29, 30, 400]);
  const history = Array.from({ length: 8 }, (_, i) => ({ item: 100 + i, scenario: 's', type: 'buy', ts: i }));
  const slices = (targets: number[]) =>
    slicesOf({ query: { user: 'u', history, scenario: 's' }, targets, slices: [] }, counts).sort();
  assert.deepEqual(slices([0]), ['cold-items', 'rare-targets']);
  assert.deepEqual(slices([2]), ['rare-targets']);
  assert.deepEqual(slices([3]), []);
  assert.deepEqual(slices([4]), []);
  assert.deepEqual(slices([5]), ['popular-targets']);
  // several targets: a slice holds a case whose targets all qualify
  assert.deepEqual(slices([1, 2]), ['rare-targets']);
  assert.deepEqual(slices([1, 6]), []);
  assert.deepEqual(slices([5, 6]), ['popular-targets']);
});

test("slices by the target scenario's history in a cross-scenario case: 1-2, 3-9, 10+ distinct items", () => {
  const counts = new Uint32Array(200).fill(10);
  const slices = (own: number, other: number, repeatOwn = 0) => {
    const history = [
      ...Array.from({ length: other }, (_, i) => ({ item: 100 + i, scenario: 'b', type: 'buy', ts: i })),
      ...Array.from({ length: own + repeatOwn }, (_, i) => ({
        item: i % Math.max(own, 1),
        scenario: 'a',
        type: 'buy',
        ts: 50 + i,
      })),
    ];
    return slicesOf(
      { query: { user: 'u', history, scenario: 'a' }, targets: [150], slices: [] },
      counts,
    ).filter((s) => s.startsWith('target-history'));
  };
  assert.deepEqual(slices(1, 6), ['target-history-1-2']);
  assert.deepEqual(slices(2, 6), ['target-history-1-2']);
  assert.deepEqual(slices(3, 6), ['target-history-3-9']);
  assert.deepEqual(slices(9, 1), ['target-history-3-9']);
  assert.deepEqual(slices(10, 1), ['target-history-10+']);
  // distinct items: a repeated item counts once
  assert.deepEqual(slices(2, 6, 5), ['target-history-1-2']);
  // none of the target scenario (the no-target-history variants' case), or one scenario only
  assert.deepEqual(slices(0, 6), []);
  assert.deepEqual(slices(12, 0), []);
});
