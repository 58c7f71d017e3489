import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mmr } from '../rank/mmr.ts';
import type { EvalCase, EvalSet } from './dataset.ts';
import { PROTOCOLS } from './dataset.ts';
import { Harness } from './harness.ts';
import { MODELS } from './models/index.ts';
import { tieBreaker, topK } from './rank.ts';
import { evalResultSchema } from './schema.ts';
import type { EvalInteraction } from './types.ts';

/**
 * implicit's known-answer data: user u likes every item of its own parity, and the diagonal item u
 * is withheld as the target. The only unmasked item sharing the user's neighbourhood is the target.
 */
function checkerboard(n: number): EvalSet {
  const ev = (item: number, ts: number): EvalInteraction => ({ item, scenario: 's', type: 'like', ts });
  const users = Array.from({ length: n }, (_, u) => ({
    user: `u${u}`,
    train: Array.from({ length: n }, (_, i) => i)
      .filter((i) => i % 2 === u % 2 && i !== u)
      .map((i, t) => ev(i, t)),
  }));
  const mk = (u: number): EvalCase => ({
    query: { user: `u${u}`, history: users[u]!.train, scenario: 's' },
    targets: [u],
    slices: [],
  });
  return {
    data: {
      dataset: 'checkerboard',
      itemIds: Array.from({ length: n }, (_, i) => `i${i}`),
      itemScenario: Array.from({ length: n }, () => 's'),
      itemText: Array.from({ length: n }, () => ''),
      scenarios: ['s'],
      users,
    },
    protocol: { ...PROTOCOLS.scientific, scenarios: ['s'] },
    valid: users.map((_, u) => mk(u)),
    test: users.map((_, u) => mk(u)),
    notes: [],
  };
}

const metric = (r: Awaited<ReturnType<Harness['evaluate']>>, m: string) =>
  r.groups.find((g) => g.scenario === 'all' && g.slice === 'all' && g.ranking === 'full')!.metrics[m]!;

test('checkerboard: item-KNN ranks the withheld diagonal item first for every user', async () => {
  const h = new Harness(checkerboard(40), { seed: 1 });
  const r = await h.evaluate('itemknn', MODELS.itemknn!);
  assert.equal(r.status, 'ok');
  assert.equal(metric(r, 'hr@10'), 1);
  assert.equal(metric(r, 'mrr'), 1);
  assert.equal(metric(r, 'ndcg@10'), 1);
});

test('checkerboard: popularity cannot tell the target apart, so it does worse than item-KNN', async () => {
  const h = new Harness(checkerboard(40), { seed: 1 });
  const r = await h.evaluate('popularity', MODELS.popularity!);
  assert.ok(metric(r, 'mrr') < 1);
});

test('every baseline is deterministic given the seed', async () => {
  const set = checkerboard(30);
  for (const name of ['markov', 'bpr']) {
    const a = await new Harness(set, { seed: 3 }).evaluate(name, MODELS[name]!);
    const b = await new Harness(set, { seed: 3 }).evaluate(name, MODELS[name]!);
    assert.deepEqual(a.groups, b.groups, name);
    assert.deepEqual(a.params, b.params, name);
  }
});

test('a model that needs item vectors is reported as skipped with the reason', async () => {
  const r = await new Harness(checkerboard(10), { seed: 1 }).evaluate('text', MODELS.text!);
  assert.equal(r.status, 'skipped');
  assert.match(r.reason ?? '', /itemVectors/);
});

test('topK respects the mask and candidates, orders by score then the seeded tie-breaker', () => {
  const scores = Float32Array.from([5, 1, 5, 3, Number.NaN, 9]);
  const tie = tieBreaker(6, 42);
  const top = topK(scores, [0, 1, 2, 3, 4], 10, tie, new Set([3]));
  assert.deepEqual(new Set(top), new Set([0, 1, 2, 4]));
  assert.deepEqual(top.slice(2), [1, 4]);
  assert.equal(topK(scores, [0, 1, 2, 3, 4, 5], 1, tie)[0], 5);
  // the tie between items 0 and 2 goes the same way every time and follows the permutation
  assert.equal(top[0], tie[0]! < tie[2]! ? 0 : 2);
});

test("the diversity curve's MMR (serving's): lambda 0 keeps the relevance order; near 1 it avoids near-duplicates", () => {
  const sim = (a: number, b: number) => (Math.floor(a / 10) === Math.floor(b / 10) ? 1 : 0);
  const cands = [0, 1, 2, 10, 11, 20];
  const rel = Float32Array.from([6, 5, 4, 3, 2, 1]);
  assert.deepEqual(mmr(cands, rel, 3, 0, sim), [0, 1, 2]);
  assert.deepEqual(mmr(cands, rel, 3, 0.9, sim, -1), [0, 10, 20]);
});

test('a result built from harness output validates against the results schema', async () => {
  const set = checkerboard(20);
  const { itemText: _text, ...protocol } = set.protocol;
  const h = new Harness(set, { seed: 1 });
  const model = await h.evaluate('popularity', MODELS.popularity!);
  const result = {
    schemaVersion: 1,
    dataset: 'checkerboard',
    createdAt: new Date(0).toISOString(),
    protocol: { ...protocol, slices: { all: 'all' }, tuning: 'none' },
    data: {
      items: 20,
      trainUsers: 20,
      trainInteractions: 180,
      validCases: 20,
      testCases: 20,
      tuneCases: 20,
      itemVectors: null,
      notes: [],
    },
    run: {
      seed: 1,
      maxUsers: null,
      configHash: 'x',
      command: 'test',
      versions: { fusionrec: '0', node: process.version, platform: 'test' },
      timings: { loadMs: 0, totalMs: 0 },
      interrupted: false,
    },
    models: [model],
  };
  assert.equal(evalResultSchema.safeParse(result).success, true);
  assert.equal(
    evalResultSchema.safeParse({ ...result, models: [{ ...model, status: 'meh' }] }).success,
    false,
  );
});
