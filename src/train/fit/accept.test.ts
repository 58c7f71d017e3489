import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blendWeights, CROSS_SHARES, chooseShare } from './accept.ts';

/** check rows: per case its NDCG@10 at each share (column 0 = the own weights) */
const rowsOf = (perHalf: [number[], number[]], casesPerHalf: number) => {
  const rows: number[][] = [];
  const half: (0 | 1)[] = [];
  for (const h of [0, 1] as const)
    for (let i = 0; i < casesPerHalf; i++) {
      rows.push(perHalf[h]);
      half.push(h);
    }
  return { rows, half };
};

test('blend: the own weights at 0, the fitted ones at 1, the straight line between', () => {
  const a = [1, 0, 0.5];
  const b = [1, 2, -0.5];
  assert.deepEqual(blendWeights(a, b, 0), a);
  assert.deepEqual(blendWeights(a, b, 1), b);
  assert.deepEqual(blendWeights(a, b, 0.25), [1, 0.5, 0.25]);
  assert.deepEqual(CROSS_SHARES[0], 0);
  assert.deepEqual(CROSS_SHARES.at(-1), 1);
});

test('the fitted weights win on both halves: served whole', () => {
  const { rows, half } = rowsOf(
    [
      [0.1, 0.11, 0.12, 0.13, 0.14],
      [0.1, 0.105, 0.11, 0.115, 0.12],
    ],
    15,
  );
  const got = chooseShare(rows, half, 20);
  assert.equal(got.pick, 4);
  assert.equal(got.undecided, false);
});

test('the fitted weights win on the whole but lose one half: a share between that holds on both is served', () => {
  // all-or-nothing would refuse (half 1 loses at share 1); half the weights hold on both halves
  const { rows, half } = rowsOf(
    [
      [0.1, 0.12, 0.14, 0.16, 0.2],
      [0.1, 0.102, 0.101, 0.099, 0.09],
    ],
    15,
  );
  const got = chooseShare(rows, half, 20);
  assert.equal(got.pick, 2, JSON.stringify(got.means));
  assert.ok(got.means[2]! > got.means[0]!);
});

test('no share beats the own weights on both halves: the own weights (0)', () => {
  const { rows, half } = rowsOf(
    [
      [0.1, 0.09, 0.08, 0.07, 0.06],
      [0.1, 0.12, 0.14, 0.16, 0.2],
    ],
    15,
  );
  assert.equal(chooseShare(rows, half, 20).pick, 0);
  const flat = rowsOf(
    [
      [0.1, 0.1, 0.1, 0.1, 0.1],
      [0.1, 0.1, 0.1, 0.1, 0.1],
    ],
    15,
  );
  assert.equal(chooseShare(flat.rows, flat.half, 20).pick, 0, 'a tie is no gain');
});

test('too few check cases, or an empty half: undecided, the own weights', () => {
  const { rows, half } = rowsOf(
    [
      [0.1, 0.2, 0.3, 0.4, 0.5],
      [0.1, 0.2, 0.3, 0.4, 0.5],
    ],
    5,
  );
  assert.deepEqual(
    { pick: chooseShare(rows, half, 20).pick, undecided: chooseShare(rows, half, 20).undecided },
    { pick: 0, undecided: true },
  );
  assert.equal(chooseShare(rows, half, 10).pick, 4, 'enough cases at a lower minimum');
  const oneHalf = chooseShare(
    rows,
    half.map(() => 0),
    1,
  );
  assert.equal(oneHalf.undecided, true);
  assert.equal(oneHalf.pick, 0);
});

test('the cross-fitted estimate scores each half at the share the other half picks', () => {
  // both halves agree: the estimate is the served mean
  const agree = rowsOf(
    [
      [0.1, 0.11, 0.12, 0.13, 0.14],
      [0.1, 0.105, 0.11, 0.115, 0.12],
    ],
    15,
  );
  const a = chooseShare(agree.rows, agree.half, 20);
  assert.ok(Math.abs(a.crossFitted - a.means[a.pick]!) < 1e-12);
  // each half's best is the other's worst: the served pick reads a gain that the estimate does not
  const disagree = rowsOf(
    [
      [0.1, 0.2, 0.1, 0.1, 0.05],
      [0.1, 0.05, 0.1, 0.1, 0.3],
    ],
    15,
  );
  const d = chooseShare(disagree.rows, disagree.half, 20);
  assert.equal(d.pick, 0, 'no column holds on both halves');
  // half 0 is scored at half 1's pick (column 4: 0.05), half 1 at half 0's (column 1: 0.05)
  assert.ok(Math.abs(d.crossFitted - 0.05) < 1e-12, `${d.crossFitted}`);
  // nothing beats the base on either half: the base
  const flat = rowsOf(
    [
      [0.2, 0.1, 0.1, 0.1, 0.1],
      [0.2, 0.1, 0.1, 0.1, 0.1],
    ],
    15,
  );
  assert.ok(Math.abs(chooseShare(flat.rows, flat.half, 20).crossFitted - 0.2) < 1e-12);
  const few = chooseShare(flat.rows.slice(0, 5), flat.half.slice(0, 5), 20);
  assert.equal(few.crossFitted, few.means[0], 'undecided: the base');
});
