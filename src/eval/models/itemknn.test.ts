import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvalCase, EvalSet } from '../dataset.ts';
import { PROTOCOLS } from '../dataset.ts';
import { Harness } from '../harness.ts';
import type { EvalInteraction } from '../types.ts';
import { MODELS } from './index.ts';
import { ItemKnn } from './itemknn.ts';

/**
 * Two scenarios of ten items each, a0..a9 and b0..b9. Training user u buys a(u % 10) and
 * b(u % 10), every third user also a((u + 1) % 10) as same-scenario noise. A test user who bought a(k) only must
 * be recommended b(k) in scenario b: the pair is the only cross-scenario evidence.
 */
function pairs(): EvalSet {
  const a = (k: number) => k % 10;
  const b = (k: number) => 10 + (k % 10);
  const ev = (item: number, ts: number): EvalInteraction => ({
    item,
    scenario: item < 10 ? 'a' : 'b',
    type: 'buy',
    ts,
  });
  const users = Array.from({ length: 60 }, (_, u) => ({
    user: `u${u}`,
    train: u % 3 === 0 ? [ev(a(u), 0), ev(a(u + 1), 1), ev(b(u), 2)] : [ev(a(u), 0), ev(b(u), 2)],
  }));
  const mk = (k: number, history: EvalInteraction[]): EvalCase => ({
    query: { user: `t${k}`, history, scenario: 'b' },
    targets: [b(k)],
    slices: [],
  });
  const cases = Array.from({ length: 10 }, (_, k) => mk(k, [ev(a(k), 0)]));
  return {
    data: {
      dataset: 'pairs',
      itemIds: Array.from({ length: 20 }, (_, i) => (i < 10 ? `a${i}` : `b${i - 10}`)),
      itemScenario: Array.from({ length: 20 }, (_, i) => (i < 10 ? 'a' : 'b')),
      itemText: Array.from({ length: 20 }, () => ''),
      scenarios: ['a', 'b'],
      users,
    },
    protocol: { ...PROTOCOLS['food-kitchen'], scenarios: ['a', 'b'], sampledNegatives: 0 },
    valid: cases,
    test: cases,
    notes: [],
  };
}

const ndcgOf = (r: Awaited<ReturnType<Harness['evaluate']>>, slice: string) =>
  r.groups.find((g) => g.scenario === 'b' && g.slice === slice && g.ranking === 'full')!.metrics['ndcg@10']!;

test('cross-scenario item-KNN recommends the item bought beside the other-scenario history', async () => {
  const r = await new Harness(pairs(), { seed: 1 }).evaluate('itemknn-cross', MODELS['itemknn-cross']!);
  assert.equal(r.status, 'ok');
  assert.equal(ndcgOf(r, 'no-target-history'), 1);
  assert.equal(ndcgOf(r, 'all'), 1);
});

test('cross-scenario item-KNN ignores the target-scenario history and learns no same-scenario pair', async () => {
  const set = pairs();
  const m = new ItemKnn({ neighbours: 50, shrink: 0, decay: 0.5 }, true);
  const h = new Harness(set, { seed: 1 });
  await m.fit(set.data, { valid: [], seed: 1, objective: h.objective });
  const other: EvalInteraction = { item: 3, scenario: 'a', type: 'buy', ts: 0 };
  const own: EvalInteraction = { item: 15, scenario: 'b', type: 'buy', ts: 1 };
  const alone = m.score({ user: 'x', history: [other], scenario: 'b' });
  const withOwn = m.score({ user: 'x', history: [other, own], scenario: 'b' });
  assert.deepEqual(withOwn, alone);
  // a3 co-occurs with a4 in training, but only items of another scenario are its neighbours
  const fromA = m.score({ user: 'x', history: [own], scenario: 'a' });
  assert.ok(fromA[5]! > 0.01, 'b5 bought beside a5: a5 scores from b5');
  assert.ok(alone[4]! < 0.01 && alone[13]! > 0.01, 'a3 reaches b3, not its same-scenario co-buy a4');
});

test('cross-scenario item-KNN is skipped on single-scenario data, with the reason', async () => {
  const set = pairs();
  const single: EvalSet = {
    ...set,
    data: { ...set.data, itemScenario: set.data.itemScenario.map(() => 'a'), scenarios: ['a'] },
  };
  const r = await new Harness(single, { seed: 1 }).evaluate('itemknn-cross', MODELS['itemknn-cross']!);
  assert.equal(r.status, 'skipped');
  assert.match(r.reason ?? '', /second scenario/);
});
