import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { compareModels, mergeResults, pairedBootstrap, poolSeeds } from './compare.ts';
import type { EvalResult, ModelResult } from './schema.ts';

/** per-case NDCG-like values: a hit (1 / log2(rank + 1)) with probability p, else 0 */
function cases(n: number, p: number, seed: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => (r() < p ? 1 / Math.log2(2 + Math.floor(r() * 9)) : 0));
}

test('a model that wins on most cases by a clear margin gets an interval above 0', () => {
  const base = cases(900, 0.1, 1);
  // the same cases plus extra hits on 60 of the baseline's misses: a true +~80 % gain
  let extra = 0;
  const model = base.map((v) => (v === 0 && extra++ < 60 ? 0.5 : v));
  const g = pairedBootstrap(model, base, { seed: 42 });
  assert.ok(g.gain !== null && g.gain > 0.3, `gain ${g.gain}`);
  assert.ok(g.ci95 !== null && g.ci95[0] > 0, `interval ${g.ci95}`);
  assert.ok(g.ci95[0] <= g.gain && g.gain <= g.ci95[1]);
});

test('two models that differ only by noise get an interval that straddles 0', () => {
  const base = cases(900, 0.1, 2);
  // swap a few hits between cases: same total, no systematic difference
  const model = [...base];
  for (let i = 0; i + 1 < model.length && i < 200; i += 2)
    [model[i], model[i + 1]] = [model[i + 1]!, model[i]!];
  const g = pairedBootstrap(model, base, { seed: 42 });
  assert.ok(g.ci95 !== null && g.ci95[0] < 0 && g.ci95[1] > 0, `interval ${g.ci95}`);
});

test('the bootstrap is seeded (same seed, same interval) and pairs cases (identical models: exactly 0)', () => {
  const base = cases(300, 0.2, 3);
  const model = cases(300, 0.25, 4);
  assert.deepEqual(pairedBootstrap(model, base, { seed: 7 }), pairedBootstrap(model, base, { seed: 7 }));
  const same = pairedBootstrap(base, base, { seed: 7 });
  assert.deepEqual([same.gain, same.ci95], [0, [0, 0]]);
  assert.equal(pairedBootstrap([0, 0], [0, 0], { seed: 1 }).gain, null);
  assert.throws(
    () => pairedBootstrap([1], [1, 2], { seed: 1 }),
    (e: unknown) => (e as { code?: string }).code === 'INVALID_INPUT',
  );
});

function result(models: ModelResult[], seed = 42): EvalResult {
  return {
    schemaVersion: 1,
    dataset: 'food-kitchen',
    createdAt: new Date(0).toISOString(),
    protocol: {
      name: 'held-out-users',
      description: 'x',
      scenarios: ['food', 'kitchen'],
      ks: [10],
      maskHistory: true,
      sampledNegatives: 0,
      slices: { all: 'all' },
      tuning: 'x',
    },
    data: {
      items: 1,
      trainUsers: 1,
      trainInteractions: 1,
      validCases: 1,
      testCases: 4,
      tuneCases: 1,
      itemVectors: null,
      notes: [],
    },
    run: {
      seed,
      maxUsers: null,
      configHash: 'x',
      command: 'test',
      versions: { fusionrec: '0', node: process.version, platform: 'test' },
      timings: { loadMs: 0, totalMs: 0 },
      interrupted: false,
    },
    models,
    cases: [
      { scenario: 'food', slices: ['all'] },
      { scenario: 'kitchen', slices: ['all'] },
      { scenario: 'food', slices: ['all'] },
      { scenario: 'food', slices: ['no-target-history'] },
    ],
  };
}

const model = (name: string, ndcg: number[]): ModelResult => ({
  name,
  description: name,
  status: 'ok',
  params: {},
  timings: { fitMs: 0, evalMs: 0, queriesPerSecond: 0 },
  groups: [],
  diversityCurve: [],
  perCase: { 'ndcg@10': ndcg },
});

test('compareModels groups the cases per scenario and slice and compares every model with the first', () => {
  const r = result([model('alone', [0.5, 0.2, 0, 0.1]), model('fused', [1, 0.2, 0, 0.3])]);
  const c = compareModels(r);
  const at = (scenario: string, slice: string) =>
    c.find((x) => x.scenario === scenario && x.slice === slice)!;
  assert.equal(
    c.every((x) => x.model === 'fused' && x.baseline === 'alone'),
    true,
  );
  assert.equal(at('all', 'all').cases, 3);
  assert.ok(Math.abs(at('all', 'all').gain! - (1.2 / 0.7 - 1)) < 1e-9);
  assert.equal(at('food', 'all').cases, 2);
  assert.equal(at('kitchen', 'all').gain, 0);
  assert.equal(at('food', 'no-target-history').cases, 1);
  assert.throws(() => compareModels(r, [['fused', 'nope']]), /nope/);
});

test('results of separate runs merge only when their cases are the same', () => {
  const a = result([model('alone', [0.5, 0.2, 0, 0.1])]);
  const b = result([model('fused', [1, 0.2, 0, 0.3])]);
  const merged = mergeResults([a, b]);
  assert.deepEqual(
    merged.models.map((m) => m.name),
    ['alone', 'fused'],
  );
  assert.equal(compareModels(merged).length, 5);
  // the same model from another run (another commit) is kept apart under the file's number
  const again = mergeResults([a, b, result([model('fused', [0, 0.2, 0, 0.3])])]);
  assert.deepEqual(
    again.models.map((m) => m.name),
    ['alone', 'fused', 'fused#3'],
  );
  const vs = compareModels(again, [['fused#3', 'fused']]).find(
    (c) => c.scenario === 'all' && c.slice === 'all',
  )!;
  assert.ok(Math.abs(vs.gain! - (0.2 / 1.2 - 1)) < 1e-9);
  assert.throws(
    () => mergeResults([a, result([model('fused', [1, 0.2, 0, 0.3])], 7)]),
    (e: unknown) => (e as { code?: string }).code === 'INVALID_INPUT',
  );
});

test('runs at different seeds pool into per-case means; the pairs compare the means', () => {
  const withGroup = (m: ModelResult, v: number): ModelResult => ({
    ...m,
    groups: [{ scenario: 'all', slice: 'all', ranking: 'full', cases: 3, metrics: { 'ndcg@10': v } }],
  });
  const s42 = result(
    [withGroup(model('alone', [0.5, 0.2, 0, 0.1]), 0.7), withGroup(model('fused', [1, 0.2, 0, 0.3]), 1)],
    42,
  );
  const s1 = result(
    [withGroup(model('alone', [0.3, 0.4, 0.2, 0.1]), 0.3), withGroup(model('fused', [0, 0.6, 0, 0.5]), 0.5)],
    1,
  );
  const pooled = poolSeeds([s42, s1]);
  const fused = pooled.models.find((m) => m.name === 'fused')!;
  assert.deepEqual(fused.perCase!['ndcg@10'], [0.5, 0.4, 0, 0.4]);
  assert.equal(fused.groups[0]!.metrics['ndcg@10'], 0.75);
  assert.equal(fused.params.seeds, '42,1');
  assert.match(pooled.data.notes.at(-1)!, /seeds 42, 1/);
  const all = compareModels(pooled, [['fused', 'alone']]).find(
    (c) => c.scenario === 'all' && c.slice === 'all',
  )!;
  // the means over the two seeds: fused 0.5 + 0.4 + 0 = 0.9, alone 0.4 + 0.3 + 0.1 = 0.8
  assert.ok(Math.abs(all.gain! - (0.9 / 0.8 - 1)) < 1e-9, `gain ${all.gain}`);
  const bad = (rs: EvalResult[], what: RegExp) =>
    assert.throws(
      () => poolSeeds(rs),
      (e: unknown) => (e as { code?: string }).code === 'INVALID_INPUT' && what.test(String(e)),
    );
  bad([s42], /two results files/);
  bad(
    [s42, result([model('alone', [0, 0, 0, 0]), model('fused', [0, 0, 0, 0])], 42)],
    /seed 42 is given twice/,
  );
  bad([s42, { ...s1, cases: s1.cases!.slice(1) }], /file 2 differs/);
  bad([s42, result([model('alone', [0, 0, 0, 0])], 1)], /model fused is not evaluated in results file 2/);
});
