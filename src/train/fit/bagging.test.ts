import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURES, NUM_FEATURES } from '../../model/scoring.ts';
import { fitOwn } from './ascent.ts';
import { baggedOwn, bootstrapSamples, meanKeyed, meanWeights } from './bagging.ts';
import type { Pool } from './pools.ts';

test('bootstrap samples: seeded, with replacement, n indices each', () => {
  const a = bootstrapSamples(50, 4, 9);
  assert.deepEqual(bootstrapSamples(50, 4, 9), a);
  assert.notDeepEqual(bootstrapSamples(50, 4, 10), a);
  for (const s of a) {
    assert.equal(s.length, 50);
    assert.ok(s.every((i) => i >= 0 && i < 50));
    assert.ok(new Set(s).size < 50, 'some cases drawn twice, some not at all');
  }
  assert.notDeepEqual(a[0], a[1]);
});

test('mean of keyed weights: a missing key counts as what its bag serves; a key of few bags is dropped', () => {
  const bags: { shared: number[]; keyed: Record<string, number[]> }[] = [
    { shared: [1, 0], keyed: { x: [1, 4], y: [1, 2] } },
    { shared: [1, 2], keyed: { x: [1, 2] } },
    { shared: [1, 1], keyed: {} },
  ];
  const got = meanKeyed(
    bags,
    (b) => b.keyed,
    (b) => b.shared,
  );
  assert.deepEqual(got, { x: [1, (4 + 2 + 1) / 3] });
  assert.deepEqual(
    meanWeights([
      [0, 3],
      [2, 1],
    ]),
    [1, 2],
  );
});

/** a pool whose rows score by knnSame (row values `own`), the target row 0 carrying `extra` in feature k */
function pool(own: number[], k: number, extra: number): Pool {
  const feats = new Float32Array(own.length * NUM_FEATURES);
  own.forEach((s, r) => {
    feats[r * NUM_FEATURES] = s;
  });
  feats[k] = extra;
  return {
    scenario: 's',
    items: own.map((_, i) => i),
    feats,
    size: own.length,
    target: 0,
    others: [],
    relevant: 1,
    own: own.length,
  };
}

test('bagging shrinks a weight that a single case decided, and keeps the rest', () => {
  assert.equal(FEATURES[0], 'knnSame');
  const k = FEATURES.indexOf('trans');
  // 39 cases the knnSame anchor already ranks first; one where only `trans` lifts the target
  const easy = Array.from({ length: 39 }, () => pool([0.9, 0.5, 0.4], k, 0));
  const lone = pool([0.5, ...Array.from({ length: 12 }, (_, i) => 0.6 + i * 0.02)], k, 1);
  const pools = [...easy, lone];
  const start = FEATURES.map((f) => (f === 'knnSame' ? 1 : 0));
  const single = fitOwn(['s'], pools, start, 2);
  assert.ok(single.shared[k]! > 0.3, `one fit takes trans at ${single.shared[k]}`);
  const bagged = baggedOwn(['s'], pools, start, 2, 20, 1);
  assert.ok(
    bagged.shared[k]! > 0 && bagged.shared[k]! < single.shared[k]!,
    `bagged trans ${bagged.shared[k]}`,
  );
  assert.equal(bagged.shared[0], 1, 'the anchor stays 1 in every bag');
  assert.deepEqual(baggedOwn(['s'], pools, start, 2, 20, 1), bagged, 'seeded');
});
