import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mmr } from './mmr.ts';

describe('MMR re-ranking', () => {
  // items 0..9; even ones are near-duplicates of each other, odd ones too
  const sim = (a: number, b: number) => (a % 2 === b % 2 ? 0.95 : 0.05);
  const items = Array.from({ length: 10 }, (_, i) => i);
  const scores = Float32Array.from(items, (i) => (i % 2 === 0 ? 10 - i * 0.1 : 5 - i * 0.1));

  it('lambda 0 keeps the relevance order', () => {
    assert.deepEqual(mmr(items, scores, 4, 0, sim), [0, 2, 4, 6]);
  });

  it('lambda > 0 lowers the intra-list similarity', () => {
    const ild = (list: number[]) => {
      let s = 0;
      let n = 0;
      for (let i = 0; i < list.length; i++)
        for (let j = i + 1; j < list.length; j++) {
          s += sim(list[i]!, list[j]!);
          n++;
        }
      return s / n;
    };
    const diverse = mmr(items, scores, 4, 0.7, sim);
    assert.equal(diverse[0], 0);
    assert.ok(ild(diverse) < ild(mmr(items, scores, 4, 0, sim)));
  });

  it('never returns duplicates and returns min(n, items) items (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (ids, n, lambda) => {
          const sc = Float32Array.from(ids, (i) => (i * 7919) % 101);
          const out = mmr(ids, sc, n, lambda, (a, b) => ((a * b) % 13) / 13);
          assert.equal(new Set(out).size, out.length);
          assert.equal(out.length, Math.min(n, ids.length));
          assert.ok(out.every((i) => ids.includes(i)));
        },
      ),
    );
  });

  it('skipping items that cannot win picks exactly what the full scan picks (property)', () => {
    // the full scan, as MMR is defined: every item's similarity to every pick
    const reference = (
      ids: number[],
      sc: Float32Array,
      n: number,
      lambda: number,
      sim: (a: number, b: number) => number,
    ) => {
      const order = ids.map((_, i) => i).sort((a, b) => sc[b]! - sc[a]! || ids[a]! - ids[b]!);
      if (lambda <= 0 || n <= 1) return order.slice(0, n).map((i) => ids[i]!);
      const pool = order.slice(0, Math.max(n * 5, 50));
      const lo = sc[pool[pool.length - 1]!]!;
      const hi = sc[pool[0]!]!;
      const rel = (i: number) => (hi > lo ? (sc[i]! - lo) / (hi - lo) : 1);
      const maxSim = new Float64Array(pool.length).fill(Number.NEGATIVE_INFINITY);
      const taken = new Uint8Array(pool.length);
      const out: number[] = [];
      while (out.length < n && out.length < pool.length) {
        let best = -1;
        let bestV = Number.NEGATIVE_INFINITY;
        for (let p = 0; p < pool.length; p++) {
          if (taken[p]) continue;
          const v = (1 - lambda) * rel(pool[p]!) - lambda * (out.length === 0 ? 0 : maxSim[p]!);
          if (v > bestV) {
            bestV = v;
            best = p;
          }
        }
        taken[best] = 1;
        out.push(ids[pool[best]!]!);
        for (let p = 0; p < pool.length; p++)
          if (!taken[p]) maxSim[p] = Math.max(maxSim[p]!, sim(ids[pool[p]!]!, ids[pool[best]!]!));
      }
      return out;
    };
    let calls = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (ids, n, lambda, salt) => {
          // similarities in [-1, 1], scores with ties
          const sim = (a: number, b: number) => {
            calls++;
            return Math.cos(((a * 31 + b * 17) * salt) % 97);
          };
          const sc = Float32Array.from(ids, (i) => ((i * salt) % 23) / 4);
          assert.deepEqual(mmr(ids, sc, n, lambda, sim, -1), reference(ids, sc, n, lambda, sim));
          assert.deepEqual(mmr(ids, sc, n, lambda, sim), reference(ids, sc, n, lambda, sim));
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(calls > 0);
  });
});
