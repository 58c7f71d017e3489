import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NUM_FEATURES } from '../rank/model.ts';
import { type Pool, poolNdcg } from './fit-ranker.ts';

/** a pool whose rows score by their first feature alone */
function pool(scores: number[], target: number, others: number[], relevant: number): Pool {
  const feats = new Float32Array(scores.length * NUM_FEATURES);
  scores.forEach((s, r) => {
    feats[r * NUM_FEATURES] = s;
  });
  return {
    scenario: 's',
    items: scores.map((_, i) => i),
    feats,
    size: scores.length,
    target,
    others,
    relevant,
  };
}

const W = [1, ...Array.from({ length: NUM_FEATURES - 1 }, () => 0)];
const g = (rank: number) => 1 / Math.log2(rank + 2);

describe('pool NDCG@10 of the ranker fit', () => {
  it('one target: 1 / log2(rank + 2), ties against the target', () => {
    assert.equal(poolNdcg([pool([0.9, 0.5, 0.7], 1, [], 1)], W), g(2));
    assert.equal(poolNdcg([pool([0.5, 0.5], 1, [], 1)], W), g(1));
  });

  it('several targets: the multi-target NDCG@10 the harness reports', () => {
    // ranking: row 0 (target), row 3, row 2 (target); a third target is not in the pool
    const p = pool([0.9, 0.1, 0.5, 0.7], 0, [2], 3);
    const want = (g(0) + g(2)) / (g(0) + g(1) + g(2));
    assert.ok(Math.abs(poolNdcg([p], W) - want) < 1e-12);
    // every target on top: 1 when all are in the pool
    assert.equal(poolNdcg([pool([0.9, 0.8, 0.1], 0, [1], 2)], W), 1);
    // a competitor tied with a target counts against it
    const tied = poolNdcg([pool([0.5, 0.5, 0.9], 0, [2], 2)], W);
    assert.ok(Math.abs(tied - (g(0) + g(2)) / (g(0) + g(1))) < 1e-12);
  });
});
