import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dot, dotAt, dotRows } from './vec.ts';

function plain(a: ArrayLike<number>, b: ArrayLike<number>, n: number, oa = 0, ob = 0): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[oa + i]! * b[ob + i]!;
  return s;
}

test('the unrolled dot products equal a plain loop within rounding, for every length remainder', () => {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  for (const dim of [0, 1, 3, 4, 5, 7, 64, 511, 512]) {
    const rows = Float32Array.from({ length: 5 * dim + 3 }, rnd);
    const a = Float32Array.from({ length: dim }, rnd);
    for (const [ra, rb] of [
      [0, 1],
      [2, 4],
      [3, 3],
    ] as const) {
      const want = plain(rows, rows, dim, ra * dim, rb * dim);
      assert.ok(
        Math.abs(dotRows(rows, ra * dim, rb * dim, dim) - want) <= 1e-9 * (1 + Math.abs(want)),
        `dim ${dim}`,
      );
      const wantA = plain(a, rows, dim, 0, rb * dim + 1);
      assert.ok(Math.abs(dotAt(a, rows, rb * dim + 1) - wantA) <= 1e-9 * (1 + Math.abs(wantA)), `dim ${dim}`);
    }
    const b = Float32Array.from({ length: dim + 2 }, rnd);
    assert.ok(Math.abs(dot(a, b) - plain(a, b, dim)) <= 1e-9 * (1 + Math.abs(plain(a, b, dim))));
  }
});
