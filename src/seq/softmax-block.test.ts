import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { blockGrad, blockLogits } from './softmax-block.ts';

/** p predictions, m candidates (rows of h, some repeated), d dimensions, values of mixed scale */
function setup(p: number, m: number, d: number, seed: number) {
  const rnd = seededRandom(seed);
  const val = () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 6 - 3);
  const items = 9;
  const h = Float64Array.from({ length: items * d }, val);
  const rows = Int32Array.from({ length: m }, () => Math.floor(rnd() * items) * d);
  const bias = Float64Array.from({ length: m }, val);
  const z = Float64Array.from({ length: p * d }, val);
  const g = Float64Array.from({ length: p * m }, () => (rnd() < 0.2 ? 0 : val()));
  const gt = Float64Array.from({ length: p }, val);
  const tRows = Int32Array.from({ length: p }, () => Math.floor(rnd() * items) * d);
  return { h, rows, bias, z, g, gt, tRows };
}

describe('blocked softmax products', () => {
  // every remainder of four in predictions, candidates and dimensions
  const sizes = [
    [1, 1, 1],
    [4, 4, 4],
    [5, 7, 6],
    [8, 13, 64],
    [3, 2, 5],
    [11, 30, 9],
    [0, 5, 4],
    [6, 0, 8],
  ];

  it('logits: each the bias plus the dot product over the dimensions in order, to the bit', () => {
    for (const [p, m, d] of sizes) {
      const { h, rows, bias, z } = setup(p!, m!, d!, p! * 100 + m! + d!);
      const out = new Float64Array(p! * m!);
      blockLogits(z, p!, h, rows, bias, m!, d!, out);
      for (let e = 0; e < p!; e++)
        for (let c = 0; c < m!; c++) {
          let s = bias[c]!;
          for (let k = 0; k < d!; k++) s += z[e * d! + k]! * h[rows[c]! + k]!;
          assert.ok(Object.is(out[e * m! + c], s), `p ${p} m ${m} d ${d}: logit ${e},${c}`);
        }
    }
  });

  it('user-state gradient: the target term, then each candidate in order, to the bit', () => {
    for (const [p, m, d] of sizes) {
      const { h, rows, g, gt, tRows } = setup(p!, m!, d!, p! * 7 + m! * 3 + d!);
      const dz = new Float64Array(p! * d!);
      blockGrad(g, gt, tRows, p!, h, rows, m!, d!, dz);
      for (let e = 0; e < p!; e++)
        for (let k = 0; k < d!; k++) {
          // as one prediction alone sums it: from 0, skipping zero coefficients
          let s = 0;
          if (gt[e] !== 0) s += gt[e]! * h[tRows[e]! + k]!;
          for (let c = 0; c < m!; c++) if (g[e * m! + c] !== 0) s += g[e * m! + c]! * h[rows[c]! + k]!;
          assert.ok(Object.is(dz[e * d! + k], s), `p ${p} m ${m} d ${d}: dz ${e},${k}`);
        }
    }
  });
});
