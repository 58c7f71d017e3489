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
});
