import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topK } from './topk.ts';

test('topK equals a full sort by score (ties by id) for any k, with the skipped items left out', () => {
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
        topK(items, k, (i) => score.get(i)!, { skip: (i) => Number.isNaN(score.get(i)!) }),
        full.slice(0, k),
        `n ${n} k ${k}`,
      );
  }
});

test('topK ranks NaN last, breaks ties by the given order, and takes a count for the ids 0..n-1', () => {
  const s = [3, Number.NaN, 3, 5, 1];
  assert.deepEqual(
    topK(s.length, 5, (i) => s[i]!),
    [3, 0, 2, 4, 1],
  );
  // ties by a rank other than the id: item 2 before item 0
  const rank = [9, 0, 1, 0, 0];
  assert.deepEqual(
    topK(s.length, 2, (i) => s[i]!, { tie: (i) => rank[i]! }),
    [3, 2],
  );
  assert.deepEqual(
    topK([4, 1, 0], 2, (i) => s[i]!, { skip: (i) => i === 0 }),
    [4, 1],
  );
  assert.deepEqual(
    topK(s.length, 0, (i) => s[i]!),
    [],
  );
});
