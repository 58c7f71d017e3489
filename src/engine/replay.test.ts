import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { Exploration } from './explore.ts';
import { type Sample, snips } from './replay.ts';
import type { Recommendation } from './types.ts';

const POOL = Array.from({ length: 12 }, (_, i) => `i${i}`);
/** the simulated users' true click chance of each item in the slot */
const TRUTH = new Map(POOL.map((it, i) => [it, 0.05 + 0.05 * (i % 6)]));
const base: Recommendation[] = [
  {
    item: 'top',
    title: '',
    scenario: 's',
    score: 1,
    reasons: { retriever: 'popular', history: [], context: [] },
  },
  {
    item: 'slot',
    title: '',
    scenario: 's',
    score: 0.5,
    reasons: { retriever: 'popular', history: [], context: [] },
  },
];

/** a log of `n` answers whose slot the shipped exploration policy filled, clicked by the truth */
function log(seed: number, n: number): { item: string; q: number; r: number }[] {
  const x = new Exploration(
    { s: { every: 2, maxShows: 1_000_000, seed } },
    { pool: () => POOL, describe: (item) => ({ item, title: '', scenario: 's' }) },
  );
  const rng = seededRandom(seed * 7919 + 1);
  return Array.from({ length: n }, (_, k) => {
    const r = x.apply('s', `rec-${k}`, base)!;
    const item = r.items[1]!.item;
    return { item, q: r.propensity[1]!, r: rng() < TRUTH.get(item)! ? 1 : 0 };
  });
}

describe('replay (SNIPS on the exploration slot)', () => {
  test("a candidate's estimated click-through covers its true one in at least 90 % of 50 seeded runs", () => {
    for (const target of ['i2', 'i5']) {
      let covered = 0;
      for (let seed = 1; seed <= 50; seed++) {
        const samples: Sample[] = log(seed, 3000).map((l) => ({
          q: l.q,
          p: l.item === target ? 1 : 0,
          r: l.r,
        }));
        const e = snips(samples);
        assert.ok(e.supported, JSON.stringify(e));
        if (e.low <= TRUTH.get(target)! && TRUTH.get(target)! <= e.high) covered++;
      }
      assert.ok(covered >= 45, `${target}: covered in ${covered} of 50 runs`);
    }
  });

  test('a stochastic candidate: the mixture of the true rates', () => {
    // uniform over the pool: its true click-through is the mean of the truth
    const truth = [...TRUTH.values()].reduce((s, v) => s + v, 0) / POOL.length;
    const e = snips(log(3, 5000).map((l) => ({ q: l.q, p: 1 / POOL.length, r: l.r })));
    assert.ok(e.supported && e.low <= truth && truth <= e.high, JSON.stringify(e));
  });

  test('no overlap, too little overlap and an empty log are refused, not estimated', () => {
    const samples = log(1, 500);
    const never = snips(samples.map((l) => ({ q: l.q, p: l.item === 'unseen' ? 1 : 0, r: l.r })));
    assert.equal(never.supported, false);
    assert.match((never as { reason: string }).reason, /no overlap/);
    const few = snips(samples.slice(0, 40).map((l) => ({ q: l.q, p: l.item === 'i1' ? 1 : 0, r: l.r })));
    assert.equal(few.supported, false);
    assert.equal(snips([]).supported, false);
  });
});
