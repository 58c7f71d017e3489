import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { principalAxes, topEigenvectors } from './pca.ts';

describe('topEigenvectors', () => {
  test('finds the top eigenvectors of a known symmetric matrix, in order', () => {
    // Q diag(5, 3, 1, 0.5) Q' with Q a rotation in the (0,1) and (2,3) planes
    const c = Math.cos(0.4);
    const s = Math.sin(0.4);
    const q = [
      [c, s, 0, 0],
      [-s, c, 0, 0],
      [0, 0, c, s],
      [0, 0, -s, c],
    ];
    const lambda = [5, 3, 1, 0.5];
    const m = new Float64Array(16);
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++)
        for (let k = 0; k < 4; k++) m[a * 4 + b]! += q[k]![a]! * lambda[k]! * q[k]![b]!;
    const start = Float64Array.from({ length: 8 }, (_, i) => Math.sin(i + 1));
    const { vectors, values } = topEigenvectors(m, 4, 2, { start, iterations: 200, tolerance: 1e-14 });
    assert.ok(Math.abs(values[0]! - 5) < 1e-9 && Math.abs(values[1]! - 3) < 1e-9, `${values}`);
    for (let j = 0; j < 2; j++) {
      let dot = 0;
      for (let k = 0; k < 4; k++) dot += vectors[j * 4 + k]! * q[j]![k]!;
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-9, `vector ${j}: |cos| ${dot}`);
    }
  });

  test('with `lock`, finds the next eigenvector orthogonal to those given', () => {
    const m = Float64Array.from([4, 0, 0, 0, 2, 0, 0, 0, 1]);
    const first = Float64Array.from([1, 0, 0]);
    const { vectors, values } = topEigenvectors(m, 3, 1, {
      start: Float64Array.from([1, 1, 1]),
      iterations: 200,
      tolerance: 1e-14,
      lock: [first],
    });
    assert.ok(Math.abs(values[0]! - 2) < 1e-9);
    assert.ok(Math.abs(vectors[0]!) < 1e-12 && Math.abs(Math.abs(vectors[1]!) - 1) < 1e-9);
  });

  test('the first vectors of a block are those a smaller block finds, to the bit', () => {
    // each vector is multiplied alone and orthonormalised against those before it only
    const n = 9;
    const m = new Float64Array(n * n);
    for (let a = 0; a < n; a++)
      for (let b = a; b < n; b++) {
        const v = Math.sin(a * 1.7 + b * 0.3) + (a === b ? n - a : 0);
        m[a * n + b] = v;
        m[b * n + a] = v;
      }
    const start = Float64Array.from({ length: 6 * n }, (_, i) => Math.cos(i * 2.1 + 0.5));
    const six = topEigenvectors(m, n, 6, { start, iterations: 7 });
    for (const r of [1, 3, 5]) {
      const few = topEigenvectors(m, n, r, { start: start.subarray(0, r * n), iterations: 7 });
      assert.deepEqual(Array.from(few.vectors), Array.from(six.vectors.subarray(0, r * n)), `r = ${r}`);
      assert.deepEqual(Array.from(few.values), Array.from(six.values.subarray(0, r)), `r = ${r}`);
    }
  });

  test('does not modify its start vectors', () => {
    const start = Float64Array.from([3, 4]);
    topEigenvectors(Float64Array.from([2, 0, 0, 1]), 2, 1, { start, iterations: 5 });
    assert.deepEqual(Array.from(start), [3, 4]);
  });
});

describe('principalAxes (the taste map)', () => {
  test('the first two axes are the directions of largest spread, in order', () => {
    const rows = Array.from({ length: 30 }, (_, k) => {
      const v = new Float32Array(64);
      v[5] = 3 * Math.cos(k);
      v[9] = Math.sin(k * 1.7);
      v[20] = 0.01 * Math.cos(k * 5);
      return v;
    });
    const [a, b] = principalAxes(rows, 2);
    assert.ok(Math.abs(a![5]!) > 0.99 && Math.abs(b![9]!) > 0.99);
  });

  // Axes the map's own power iteration (src/serve/map.ts, before the one solver) gave for these
  // rows, digit for digit: the shared solver runs the same arithmetic, so the map does not move.
  test('gives the same axes as the map solver it replaced', () => {
    const rows = Array.from({ length: 9 }, (_, i) =>
      Float32Array.from(
        { length: 6 },
        (_, j) => Math.round(100 * Math.sin(i * 1.3 + j * 0.7 + (i % 3) * j)) / 100,
      ),
    );
    assert.deepEqual(
      principalAxes(rows, 2).map((v) => Array.from(v)),
      [
        [
          -0.5137855453847162, -0.048874696587742406, -0.17206834692076922, -0.07747653151092165,
          -0.23879284259430067, 0.80062695855555,
        ],
        [
          -0.31915573015791926, 0.2381299722122518, 0.6441230240548204, -0.6319758287414818,
          0.14994785463402643, -0.06827487752607839,
        ],
      ],
    );
  });

  // The replaced solver sometimes normalised rounding noise into a second axis when the rows had
  // no spread in a second direction (points on a line): a unit axis pointing anywhere, though the
  // coordinates along it stayed at rounding level. Such a direction now always gets a zero axis.
  test('a direction without spread gets a zero axis', () => {
    const two = [Float32Array.from([1, 0, 0]), Float32Array.from([0, 1, 0])];
    const [a, b] = principalAxes(two, 2);
    assert.ok(Math.abs(Math.hypot(...a!) - 1) < 1e-12);
    assert.deepEqual(Array.from(b!), [0, 0, 0]);
    const line = Array.from({ length: 5 }, (_, k) => Float32Array.from([k, 2 * k, 0, 0]));
    assert.deepEqual(Array.from(principalAxes(line, 2)[1]!), [0, 0, 0, 0]);
    // the replaced solver's second axis here was (0.87, 0.32, -0.37, -2e-9): noise
    const tilted = Array.from({ length: 7 }, (_, k) => Float32Array.from([0.3 * k, -0.7 * k, 0.1 * k, 0.05]));
    assert.deepEqual(Array.from(principalAxes(tilted, 2)[1]!), [0, 0, 0, 0]);
    const same = Array.from({ length: 3 }, () => Float32Array.from([1, 2, 3]));
    for (const axis of principalAxes(same, 2)) assert.deepEqual(Array.from(axis), [0, 0, 0]);
  });
});
