import assert from 'node:assert/strict';
import { test } from 'node:test';
import { centre, principalAxes, project2d } from './map.ts';

const DIM = 64;
function basis(i: number): Float32Array {
  const v = new Float32Array(DIM);
  v[i] = 1;
  return v;
}

test('the first two axes are the directions of largest spread, in order', () => {
  // points spread 3x more along e5 than along e9, plus tiny noise on e20
  const rows = Array.from({ length: 30 }, (_, k) => {
    const v = new Float32Array(DIM);
    v[5] = 3 * Math.cos(k);
    v[9] = Math.sin(k * 1.7);
    v[20] = 0.01 * Math.cos(k * 5);
    return v;
  });
  const [a, b] = principalAxes(rows, 2);
  assert.ok(Math.abs(a![5]!) > 0.99, `first axis along e5: ${a![5]}`);
  assert.ok(Math.abs(b![9]!) > 0.99, `second axis along e9: ${b![9]}`);
});

test('projection keeps the distances of points that lie in a plane', () => {
  const rows = [
    [0, 0],
    [1, 0],
    [0, 2],
    [3, 1],
    [2, 2],
  ].map(([x, y]) => {
    const v = new Float32Array(DIM);
    for (let j = 0; j < DIM; j++) v[j] = x! * basis(3)[j]! + y! * basis(7)[j]!;
    return v;
  });
  const xy = project2d(rows);
  const d = (p: [number, number], q: [number, number]) => Math.hypot(p[0] - q[0], p[1] - q[1]);
  assert.ok(Math.abs(d(xy[0]!, xy[3]!) - Math.hypot(3, 1)) < 1e-6);
  assert.ok(Math.abs(d(xy[1]!, xy[2]!) - Math.hypot(1, 2)) < 1e-6);
});

test('deterministic, and degenerate inputs do not produce NaN', () => {
  const rows = Array.from({ length: 10 }, (_, k) =>
    Float32Array.from({ length: DIM }, (_, j) => Math.sin(k + j)),
  );
  assert.deepEqual(project2d(rows), project2d(rows));
  const same = [basis(1), basis(1), basis(1)];
  for (const [x, y] of project2d(same)) assert.ok(Number.isFinite(x) && Number.isFinite(y));
  assert.deepEqual(project2d([basis(2)]), [[0, 0]]);
  assert.equal(centre([]), undefined);
  const c = centre([basis(0), basis(1)])!;
  assert.ok(Math.abs(Math.hypot(...c) - 1) < 1e-6);
});
