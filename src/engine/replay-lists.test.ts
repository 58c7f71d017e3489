import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { marginal, type RandomizeRule, randomize } from './randomize.ts';
import { type ListSample, listSnips } from './replay-lists.ts';

/**
 * A position-based click world with known truth: users of 6 kinds, 40 items, each kind clicks an
 * examined item with its own chance, position k is examined with chance 1 / log2(k + 2).
 */
const ITEMS = Array.from({ length: 40 }, (_, i) => `i${i}`);
const KINDS = 6;
const N = 10;
const examination = (k: number) => 1 / Math.log2(k + 2);
const world = seededRandom(99);
const attraction = Array.from(
  { length: KINDS },
  () => new Map(ITEMS.map((it) => [it, 0.02 + 0.4 * world()])),
);
/** the logging ranking: the truth seen through noise, as a trained model sees it */
const logging = attraction.map((a) =>
  [...ITEMS].sort((x, y) => a.get(y)! + 0.3 * world() - (a.get(x)! + 0.3 * world())),
);
/** the candidate: a re-ranking of the logging policy's top 15 by the truth (better, inside its support) */
const candidate = attraction.map((a, u) =>
  [...logging[u]!.slice(0, 15)].sort((x, y) => a.get(y)! - a.get(x)!),
);
const RULE: RandomizeRule = { epsilon: 0.3, top: 15, seed: 5 };

const clicksPerList = (u: number, list: readonly string[]) =>
  list.slice(0, N).reduce((s, it, k) => s + examination(k) * attraction[u]!.get(it)!, 0);
const truth = (lists: string[][]) => lists.reduce((s, l, u) => s + clicksPerList(u, l), 0) / KINDS;

/** `n` logged answers of the randomized logging policy, clicked by the world */
function log(seed: number, n: number, rank: string[][] = candidate): ListSample[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const u = Math.floor(rng() * KINDS);
    const r = randomize(logging[u]!, N, { ...RULE, seed }, `rec-${i}`);
    return {
      shown: r.order.map((j, k) => {
        const item = logging[u]![j]!;
        return {
          item,
          propensity: r.propensity[k]!,
          clicked: rng() < examination(k) * attraction[u]!.get(item)!,
          explored: false,
        };
      }),
      candidate: rank[u]!.slice(0, N),
      support: (item, k) => marginal(r.logged, item, k),
    };
  });
}

describe('whole-list replay (item-position model, self-normalised IPS)', () => {
  test('the randomization logs exact marginals: they sum to 1 over items at each position', () => {
    const r = randomize(logging[0]!, N, RULE, 'rec-x');
    assert.equal(r.order.length, N);
    assert.equal(new Set(r.order).size, N, 'no duplicates');
    for (let k = 0; k < N; k++) {
      const total = ITEMS.reduce((s, it) => s + marginal(r.logged, it, k), 0);
      assert.ok(Math.abs(total - 1) < 1e-12, `position ${k}: ${total}`);
    }
    // the empirical frequency of the ranking's first item at position 0 matches its marginal
    let first = 0;
    for (let i = 0; i < 4000; i++) first += Number(randomize(logging[0]!, N, RULE, `f-${i}`).order[0] === 0);
    const mu = marginal(r.logged, logging[0]![0]!, 0);
    assert.ok(Math.abs(first / 4000 - mu) < 0.02, `${first / 4000} against ${mu}`);
  });

  test("a candidate's estimate covers its true clicks per list in at least 90 % of 50 seeded runs", () => {
    const want = truth(candidate);
    assert.ok(want > truth(logging) + 0.05, 'the candidate is a real change');
    let covered = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const e = listSnips(log(seed, 1500));
      assert.ok(e.supported, JSON.stringify(e));
      if (e.low <= want && want <= e.high) covered++;
    }
    assert.ok(covered >= 45, `covered in ${covered} of 50 runs`);
  });

  test('the logging ranking itself is estimated too (weights of the unshuffled places)', () => {
    const want = truth(logging);
    const e = listSnips(log(7, 3000, logging));
    assert.ok(e.supported && e.low <= want && want <= e.high, `${JSON.stringify(e)} against ${want}`);
  });

  test('a candidate outside the support, or too few lists, is refused with the reason', () => {
    // items 15th and below in the logging ranking were never in the shuffle's pool
    const outside = logging.map((l) => l.slice(20, 30));
    const far = listSnips(log(1, 2000, outside));
    assert.equal(far.supported, false);
    assert.match((far as { reason: string }).reason, /no overlap/);
    assert.equal(far.support, 0);
    const few = listSnips(log(1, 30));
    assert.equal(few.supported, false);
    assert.match((few as { reason: string }).reason, /overlap/);
    assert.ok(few.effective < 10);
    assert.equal(listSnips([]).supported, false);
  });
});
