import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topK } from './topk.ts';

test('topK equals a full sort by score (ties by id) for any k, with duplicates and NaN skipped', () => {
  let seed = 11;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (const n of [0, 1, 5, 64, 1000]) {
    const items = Array.from({ length: n }, (_, i) => (i * 7919) % (n + 3));
    // few distinct scores: many ties
    const score = new Map(items.map((i) => [i, Math.floor(rnd() * 8)]));
    if (n > 10) score.set(items[3]!, Number.NaN);
    const full = items
      .filter((i) => !Number.isNaN(score.get(i)!))
      .sort((a, b) => score.get(b)! - score.get(a)! || a - b);
    for (const k of [0, 1, 3, 10, 100, 2000])
      assert.deepEqual(
        topK(items, k, (i) => score.get(i)!),
        full.slice(0, k),
        `n ${n} k ${k}`,
      );
  }
});
