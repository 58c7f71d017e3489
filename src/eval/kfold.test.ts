import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import type { EventInput } from '../core/types.ts';
import { SqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/types.ts';
import type { EvalSet } from './dataset.ts';
import { PROTOCOLS } from './dataset.ts';
import { kfoldSets } from './kfold.ts';
import { storeOfData } from './models/engine-store.ts';
import { runEvaluation } from './run.ts';
import type { EvalData, EvalInteraction, EvalModel, FitOptions } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-kfold-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const scenarioOf = (item: number) => (item < 10 ? 'a' : 'b');
const ev = (item: number, ts: number): EvalInteraction => ({
  item,
  scenario: scenarioOf(item),
  type: 'buy',
  ts,
});

/**
 * 24 users whose history before their last item spans both scenarios (they qualify), and four
 * who do not: two in scenario a only, one whose last item's scenario is not in their history,
 * one whose last item repeats their history.
 */
function twoScenarios(): EvalSet {
  const users: EvalData['users'] = Array.from({ length: 24 }, (_, u) => ({
    user: `u${String(u).padStart(2, '0')}`,
    train: [u % 10, 10 + (u % 10), (u + 1) % 10, 10 + ((u + 3) % 10)].map((it, t) => ev(it, t)),
  }));
  users.push(
    { user: 'single1', train: [ev(1, 0), ev(2, 1), ev(3, 2)] },
    { user: 'single2', train: [ev(4, 0), ev(5, 1)] },
    { user: 'newscenario', train: [ev(11, 0), ev(12, 1), ev(3, 2)] },
    { user: 'repeat', train: [ev(1, 0), ev(11, 1), ev(1, 2)] },
  );
  const valid = [
    { query: { user: 'v1', history: [ev(1, 0), ev(12, 1)], scenario: 'b' }, targets: [13], slices: [] },
  ];
  return {
    data: {
      dataset: 'two',
      itemIds: Array.from({ length: 20 }, (_, i) => `i${i}`),
      itemScenario: Array.from({ length: 20 }, (_, i) => scenarioOf(i)),
      itemText: Array.from({ length: 20 }, () => ''),
      scenarios: ['a', 'b'],
      users,
    },
    protocol: { ...PROTOCOLS['food-kitchen'], scenarios: ['a', 'b'] },
    valid,
    test: valid,
    notes: [],
  };
}

test('k-fold: folds are disjoint, cover the qualifying users, and their targets leave the training data', () => {
  const set = twoScenarios();
  const folds = kfoldSets(set, 3, 42);
  const all = folds.flatMap((f) => f.users);
  assert.equal(new Set(all).size, all.length, 'no user in two folds');
  assert.deepEqual(
    [...all].sort(),
    set.data.users
      .slice(0, 24)
      .map((u) => u.user)
      .sort(),
  );
  assert.deepEqual(
    folds.map((f) => f.users.length),
    [8, 8, 8],
  );
  const original = new Map(set.data.users.map((u) => [u.user, u.train]));
  for (const f of folds) {
    const mine = new Set(f.users);
    assert.deepEqual(f.set.valid, set.valid, 'the official validation split tunes every fold');
    for (const c of f.set.test) {
      const full = original.get(c.query.user)!;
      const last = full.at(-1)!;
      assert.deepEqual(c.targets, [last.item]);
      assert.equal(c.query.scenario, last.scenario);
      assert.deepEqual(c.query.history, full.slice(0, -1));
    }
    for (const u of f.set.data.users) {
      const full = original.get(u.user)!;
      if (mine.has(u.user)) {
        // the held-out event is gone from the data the fold's models fit on; the rest stays
        assert.deepEqual(u.train, full.slice(0, -1));
        assert.ok(!u.train.some((e) => e.item === full.at(-1)!.item));
      } else assert.equal(u.train, full, 'other users are untouched');
    }
  }
  // seeded: the same folds again, other folds with another seed
  assert.deepEqual(
    kfoldSets(set, 3, 42).map((f) => f.users),
    folds.map((f) => f.users),
  );
  assert.notDeepEqual(
    kfoldSets(set, 3, 7).map((f) => f.users),
    folds.map((f) => f.users),
  );
  assert.equal(kfoldSets(set, 3, 42, 5)[0]!.set.test.length, 5, 'maxUsers caps each fold');
  // unseen: the same folds and cases, the fold's users gone from its training data whole
  const unseen = kfoldSets(set, 3, 42, undefined, 'unseen');
  unseen.forEach((f, i) => {
    assert.deepEqual(f.users, folds[i]!.users);
    assert.deepEqual(f.set.test, folds[i]!.set.test);
    const mine = new Set(f.users);
    assert.ok(!f.set.data.users.some((u) => mine.has(u.user)));
    assert.equal(f.set.data.users.length, set.data.users.length - mine.size);
  });
  assert.throws(() => kfoldSets(set, 1, 42), /folds/);
});

/** a model that records what it is fitted on and whom it scores */
class Recorder implements EvalModel {
  readonly name = 'recorder';
  static fits: { ownStore: boolean; written: Store; scored: Set<string> }[] = [];
  params() {
    return {};
  }
  async fit(data: EvalData, opts: FitOptions): Promise<void> {
    // what the engine trains on when the fold's split exists in memory only
    Recorder.fits.push({
      ownStore: opts.store === undefined,
      written: await storeOfData(data, opts.valid, opts.scenarios),
      scored: new Set(),
    });
  }
  score(query: { user: string }): Float32Array {
    Recorder.fits.at(-1)!.scored.add(query.user);
    return new Float32Array(20);
  }
}

const fkItem = (i: number) => `${i < 10 ? 'f' : 'k'}${i}`;

/** the food and kitchen scenarios (items f0-f9 and k10-k19) in a new store, and a writer of purchase histories for it */
async function foodKitchenBase(file: string) {
  const store = new SqliteStore(join(dir, file));
  await store.scenarios.upsert([
    { id: 'food', kind: 'ecommerce', eventWeights: { purchase: 1 }, allowRepeats: false },
    { id: 'kitchen', kind: 'ecommerce', eventWeights: {}, allowRepeats: false },
  ]);
  const scenario = (i: number) => (i < 10 ? 'food' : 'kitchen');
  await store.items.upsert(
    Array.from({ length: 20 }, (_, i) => ({
      id: fkItem(i),
      scenario: scenario(i),
      title: fkItem(i),
      available: true,
    })),
  );
  const events: EventInput[] = [];
  const add = (
    user: string,
    items: number[],
    splits: ('train' | 'valid_input' | 'valid' | 'test_input' | 'test')[],
  ) =>
    items.forEach((i, t) => {
      events.push({
        id: `${user}-${t}`,
        user,
        item: fkItem(i),
        scenario: scenario(i),
        type: 'purchase',
        ts: 100 * t,
        split: splits[t] ?? splits.at(-1)!,
      });
    });
  return { store, events, add };
}

async function foodKitchenStore(): Promise<{ store: SqliteStore; last: Map<string, string> }> {
  const { store, events, add } = await foodKitchenBase('fk.db');
  const last = new Map<string, string>();
  for (let u = 0; u < 30; u++) {
    const items = [
      u % 10,
      10 + (u % 10),
      (u + 2) % 10,
      10 + ((u + 5) % 10),
      u % 2 ? (u + 4) % 10 : 10 + ((u + 7) % 10),
    ];
    add(`t${u}`, items, ['train']);
    last.set(`t${u}`, fkItem(items.at(-1)!));
  }
  for (let u = 0; u < 4; u++)
    add(`v${u}`, [u, 10 + u, u + 1, 12 + u], ['valid_input', 'valid_input', 'valid_input', 'valid']);
  for (let u = 0; u < 4; u++)
    add(`x${u}`, [u + 3, 11 + u, u + 2, 15 + u], ['test_input', 'test_input', 'test_input', 'test']);
  await store.events.add(events as never);
  return { store, last };
}

test('k-fold through the run: each fold fits on a store without its held-out items and scores only its users', async () => {
  const { store, last } = await foodKitchenStore();
  Recorder.fits = [];
  try {
    const r = await runEvaluation(store, 'food-kitchen', {
      seed: 3,
      folds: 3,
      models: ['recorder', 'itemknn-cross'],
      extraModels: { recorder: { description: 'records its fits', create: () => new Recorder() } },
      configHash: 'test',
      command: 'test',
    });
    assert.equal(r.protocol.name, 'k-fold');
    assert.equal(Recorder.fits.length, 3);
    const scored = Recorder.fits.flatMap((f) => [...f.scored]);
    assert.equal(new Set(scored).size, scored.length, 'every user in one fold');
    assert.deepEqual(
      new Set(scored),
      new Set(last.keys()),
      'the 30 training users, not the official test users',
    );
    for (const f of Recorder.fits) {
      assert.ok(f.ownStore, 'the engine trains on the fold, not on the full store');
      const food = (await f.written.scenarios.list()).find((s) => s.id === 'food');
      assert.deepEqual(food?.eventWeights, { purchase: 1 }, "the source store's scenarios");
      const written: { user: string; item: string }[] = [];
      for await (const page of f.written.events.pages({ limit: 1000 })) written.push(...page);
      for (const user of f.scored) {
        assert.ok(
          !written.some((e) => e.user === user && e.item === last.get(user)),
          `${user}'s target left`,
        );
        assert.equal(written.filter((e) => e.user === user).length, 4, `${user}'s history stays`);
      }
      await f.written.close();
    }
    assert.equal(r.cases?.length, 30);
    assert.equal(r.data.testCases, 30);
    for (const m of r.models) assert.equal(m.perCase?.['ndcg@10']?.length, 30, m.name);
    const all = r.models[1]!.groups.find(
      (g) => g.scenario === 'all' && g.slice === 'all' && g.ranking === 'full',
    );
    assert.equal(all?.cases, 30);
    assert.ok(r.comparisons?.some((c) => c.scenario === 'all' && c.slice === 'all' && c.cases === 30));
  } finally {
    await store.close();
  }
});

/**
 * 60 training users whose kitchen target is told by their food items alone: each kitchen history
 * item is drawn independently of the target, so only a profile that reads the food history (fusion)
 * can rank it from its evidence.
 */
async function fusionStore(): Promise<SqliteStore> {
  const { store, events, add } = await foodKitchenBase('fusion.db');
  for (let u = 0; u < 60; u++)
    add(`t${u}`, [u % 5, 10 + ((u * 7 + Math.floor(u / 7)) % 10), (u % 5) + 5, 10 + (u % 5)], ['train']);
  for (let u = 0; u < 4; u++)
    add(`v${u}`, [u, 10 + u, u + 5, 10 + u], ['valid_input', 'valid_input', 'valid_input', 'valid']);
  for (let u = 0; u < 4; u++)
    add(`x${u}`, [u, 11 + u, u + 5, 10 + u], ['test_input', 'test_input', 'test_input', 'test']);
  await store.events.add(events as never);
  return store;
}

test('k-fold with unseen users: the fused engine and the engine without fusion are fitted and scored apart', async () => {
  const store = await fusionStore();
  try {
    const r = await runEvaluation(store, 'food-kitchen', {
      seed: 3,
      folds: 2,
      foldUsers: 'unseen',
      models: ['engine-noseq', 'engine-nofusion-noseq'],
      config: parseConfig({}),
      configHash: 'test',
      command: 'test',
    });
    const [fused, alone] = r.models;
    for (const f of ['fold1', 'fold2']) {
      assert.equal(JSON.parse(String(fused!.params[f])).fusion, true, f);
      assert.equal(JSON.parse(String(alone!.params[f])).fusion, false, f);
    }
    const a = fused!.perCase!['ndcg@10']!;
    const b = alone!.perCase!['ndcg@10']!;
    assert.equal(a.length, 54);
    assert.equal(b.length, 54);
    // where the fit keeps cross-scenario weights (here the shared ones, in both folds) the food
    // history moves the kitchen rankings
    assert.ok(
      a.some((x, i) => x !== b[i]),
      'the two engines rank the held-out users alike: fusion did not reach the scoring',
    );
    for (const m of [fused!, alone!]) {
      const all = m.groups.find((g) => g.scenario === 'all' && g.slice === 'all' && g.ranking === 'full');
      assert.equal(all?.cases, 54, m.name);
    }
  } finally {
    await store.close();
  }
});

test('k-fold ranks the no-target-history variants only when asked', async () => {
  const store = await fusionStore();
  try {
    const run = (noTargetHistory: boolean) =>
      runEvaluation(store, 'food-kitchen', {
        seed: 3,
        folds: 2,
        foldUsers: 'unseen',
        models: ['itemknn-cross'],
        config: parseConfig({}),
        configHash: 'test',
        command: 'test',
        ...(noTargetHistory ? { noTargetHistory } : {}),
      });
    const slice = (r: Awaited<ReturnType<typeof run>>) =>
      r.models[0]!.groups.find(
        (g) => g.scenario === 'all' && g.slice === 'no-target-history' && g.ranking === 'full',
      );
    assert.equal(slice(await run(false)), undefined);
    const withIt = await run(true);
    assert.equal(slice(withIt)?.cases, 54);
    assert.equal(withIt.models[0]!.perCase!['ndcg@10']!.length, 108);
  } finally {
    await store.close();
  }
});
