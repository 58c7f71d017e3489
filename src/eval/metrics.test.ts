import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { coverage, hitRate, intraListDiversity, mrr, ndcg, novelty, precision, recall } from './metrics.ts';

/** a ranked list without duplicates and a non-empty relevant set over items 0..49 */
const listAndRelevant = fc.record({
  ranked: fc.uniqueArray(fc.integer({ min: 0, max: 49 }), { maxLength: 50 }),
  relevant: fc
    .uniqueArray(fc.integer({ min: 0, max: 49 }), { minLength: 1, maxLength: 10 })
    .map((a) => new Set(a)),
  k: fc.integer({ min: 1, max: 60 }),
});

test('NDCG, recall, precision, HR and MRR stay in [0, 1]', () => {
  fc.assert(
    fc.property(listAndRelevant, ({ ranked, relevant, k }) => {
      for (const f of [ndcg, recall, precision, hitRate, mrr]) {
        const v = f(relevant, ranked, k);
        assert.ok(v >= 0 && v <= 1 + 1e-12, `${f.name} = ${v}`);
      }
    }),
  );
});

test('HR, recall and NDCG never fall as k grows', () => {
  fc.assert(
    fc.property(listAndRelevant, ({ ranked, relevant, k }) => {
      assert.ok(hitRate(relevant, ranked, k + 1) >= hitRate(relevant, ranked, k));
      assert.ok(recall(relevant, ranked, k + 1) >= recall(relevant, ranked, k));
      // NDCG may fall when the ideal grows with k, but not with a single target
      const one = new Set([[...relevant][0]!]);
      assert.ok(ndcg(one, ranked, k + 1) >= ndcg(one, ranked, k) - 1e-12);
    }),
  );
});

test('a perfect list scores 1 and a list without relevant items scores 0', () => {
  fc.assert(
    fc.property(listAndRelevant, ({ relevant, k }) => {
      const perfect = [...relevant];
      assert.equal(Math.round(ndcg(relevant, perfect, k) * 1e9) / 1e9, 1);
      assert.equal(hitRate(relevant, perfect, k), 1);
      assert.equal(mrr(relevant, perfect, k), 1);
      const none = [100, 101, 102];
      assert.equal(ndcg(relevant, none, k), 0);
      assert.equal(hitRate(relevant, none, k), 0);
    }),
  );
});

test('moving the target up the list never lowers NDCG or MRR', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }), (pos, k) => {
      const list = Array.from({ length: 41 }, (_, i) => i + 1);
      const at = (p: number) => {
        const l = list.filter((x) => x !== 1000);
        l.splice(p, 0, 1000);
        return l;
      };
      const rel = new Set([1000]);
      assert.ok(ndcg(rel, at(pos - 1), k) >= ndcg(rel, at(pos), k));
      assert.ok(mrr(rel, at(pos - 1), k) >= mrr(rel, at(pos), k));
    }),
  );
});

test('known values: a single target at rank 3', () => {
  const rel = new Set([7]);
  const ranked = [1, 2, 7, 4];
  assert.equal(hitRate(rel, ranked, 2), 0);
  assert.equal(hitRate(rel, ranked, 3), 1);
  assert.equal(ndcg(rel, ranked, 10), 1 / Math.log2(4));
  assert.equal(mrr(rel, ranked), 1 / 3);
  assert.equal(recall(new Set([7, 4, 99]), ranked, 10), 2 / 3);
});

test('coverage counts distinct items over the catalogue, ILD and novelty behave', () => {
  assert.equal(
    coverage(
      [
        [0, 1],
        [1, 2],
      ],
      10,
      10,
    ),
    0.3,
  );
  assert.equal(
    coverage(
      [
        [0, 1],
        [1, 2],
      ],
      1,
      10,
    ),
    0.2,
  );
  // two identical vectors and one orthogonal: pairs (0,1)=1, (0,2)=0, (1,2)=0
  const v = Float32Array.from([1, 0, 1, 0, 0, 1]);
  assert.ok(Math.abs(intraListDiversity([0, 1, 2], 10, v, 2) - (1 - 1 / 3)) < 1e-9);
  assert.equal(intraListDiversity([0, 1], 10, v, 2), 0);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 10 }), (ranked) => {
      const counts = Float32Array.from({ length: 10 }, (_, i) => i + 1);
      const nov = novelty(ranked, 10, counts, 10);
      assert.ok(nov >= 0);
      // the least popular item is at least as novel as any list
      assert.ok(novelty([0], 1, counts, 10) >= nov - 1e-12);
    }),
  );
});
