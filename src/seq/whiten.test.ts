import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { gaussian } from './params.ts';
import { applyWhitening, fitWhitening } from './whiten.ts';

/** rows of `dim` values spread along a few directions (sd 4, 2, 1, 0.5, then 0.1), some rows zero */
function vectors(rows: number, dim: number, zeroRows: readonly number[]): Float32Array {
  const g = gaussian(seededRandom(3));
  const out = new Float32Array(rows * dim);
  const sd = [4, 2, 1, 0.5];
  for (let i = 0; i < rows; i++) {
    if (zeroRows.includes(i)) continue;
    for (let k = 0; k < dim; k++) out[i * dim + k] = 1 + g() * (sd[k] ?? 0.1);
    // an exact zero inside a row: a term the covariance skips
    if (i % 5 === 0) out[i * dim + (i % dim)] = 0;
  }
  return out;
}

describe('text whitening', () => {
  it('decorrelates the fitted rows to unit variance along the kept directions', () => {
    const dim = 7;
    const rows = 403;
    const data = vectors(rows, dim, [4, 100]);
    const w = fitWhitening(data, dim, 3, 1);
    assert.equal(w.outDim, 3);
    const out = applyWhitening(w, data);
    const kept = rows - 2;
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += out[i * 3 + a]! * out[i * 3 + b]!;
        const cov = s / (kept - 1);
        assert.ok(Math.abs(cov - (a === b ? 1 : 0)) < 0.05, `cov[${a}][${b}] = ${cov}`);
      }
  });

  it('whitens each row as it would alone, and leaves rows without text at zero', () => {
    const dim = 6;
    const data = vectors(11, dim, [2, 5, 6]);
    const w = fitWhitening(data, dim, 5, 2);
    const all = applyWhitening(w, data);
    for (let i = 0; i < 11; i++) {
      const alone = applyWhitening(w, data.subarray(i * dim, (i + 1) * dim));
      assert.deepEqual(
        Array.from(all.subarray(i * w.outDim, (i + 1) * w.outDim)),
        Array.from(alone),
        `row ${i}`,
      );
    }
    assert.deepEqual(Array.from(all.subarray(5 * w.outDim, 7 * w.outDim)), new Array(2 * w.outDim).fill(0));
  });
});
