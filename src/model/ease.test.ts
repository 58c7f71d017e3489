import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { buildEase, invertSpd } from './ease.ts';
import { edgeWeight } from './graph.ts';

describe('EASE item model', () => {
  it('inverts a symmetric positive definite matrix', () => {
    const a = [4, 1, 2, 1, 3, 0.5, 2, 0.5, 5];
    const inv = Float64Array.from(a);
    invertSpd(inv, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * inv[k * 3 + j]!;
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9, `(${i},${j}) = ${s}`);
      }
  });

  it('inverts a matrix of several panels (a size that is not a multiple of the panel)', () => {
    // a Gram-like SPD matrix: co-counts over seeded users plus a ridge, 131 items
    const m = 131;
    const a = new Float64Array(m * m);
    const rnd = seededRandom(5);
    for (let u = 0; u < 400; u++) {
      const items = new Set(Array.from({ length: 6 }, () => Math.floor(m * rnd() ** 2)));
      for (const i of items) for (const j of items) a[i * m + j]! += 1;
    }
    for (let i = 0; i < m; i++) a[i * m + i]! += 2;
    const inv = Float64Array.from(a);
    invertSpd(inv, m);
    let worst = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += a[i * m + k]! * inv[k * m + j]!;
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
        // the inverse of a symmetric matrix is symmetric
        assert.equal(inv[i * m + j], inv[j * m + i]);
      }
    assert.ok(worst < 1e-9, `largest deviation from the identity ${worst}`);
  });

  // a known answer: 0 and 1 are always taken together, so are 2 and 3; 4 is taken by everyone
  // (it co-occurs with 0 as often as 1 does, but explains nothing); 5 is taken once
  const seqs = [
    [0, 1, 4],
    [1, 0, 4],
    [0, 1, 4],
    [2, 3, 4],
    [3, 2, 4],
    [2, 3, 4],
    [0, 1, 5],
  ];

  it('ranks the true partner above the item everyone takes', () => {
    const g = buildEase(seqs, 6, { items: 10, lambda: 0.5, neighbours: 10 });
    assert.ok(edgeWeight(g, 0, 1) > edgeWeight(g, 0, 4), `${edgeWeight(g, 0, 1)} vs ${edgeWeight(g, 0, 4)}`);
    assert.ok(edgeWeight(g, 2, 3) > edgeWeight(g, 2, 4));
    assert.equal(g.items[g.offsets[0]!], 1);
    // an item with a single user is outside the model: no row, no column
    assert.equal(g.offsets[6]! - g.offsets[5]!, 0);
    for (let i = 0; i < 5; i++) assert.equal(edgeWeight(g, i, 5), 0);
  });

  it('covers only the most frequent items, and nothing when switched off', () => {
    const g = buildEase(seqs, 6, { items: 3, lambda: 0.5, neighbours: 10 });
    // 4 (7 users), then 0 and 1 (4 each): rows of 2 and 3 are empty
    assert.equal(g.offsets[4]! - g.offsets[2]!, 0);
    assert.ok(edgeWeight(g, 0, 1) > 0);
    const off = buildEase(seqs, 6, { items: 0, lambda: 0.5, neighbours: 10 });
    assert.equal(off.items.length, 0);
    assert.equal(off.offsets.length, 7);
  });

  it('without cross-scenario fusion, pairs across scenarios get no weight', () => {
    const g = buildEase(seqs, 6, {
      items: 10,
      lambda: 0.5,
      neighbours: 10,
      scenarioOf: (i) => (i === 1 ? 'b' : 'a'),
    });
    assert.equal(edgeWeight(g, 0, 1), 0);
    assert.ok(edgeWeight(g, 2, 3) > 0);
  });

  it('per scenario: each block inverted alone gives exactly the masked whole-matrix inversion', () => {
    // the whole-matrix reference: the Gram matrix with every cross-scenario entry zeroed, inverted whole
    const reference = (seqs: number[][], n: number, lambda: number, scenarioOf: (i: number) => string) => {
      const users = new Float64Array(n);
      for (const s of seqs) for (const i of new Set(s)) users[i]! += 1;
      const order = Array.from(users.keys())
        .filter((i) => users[i]! >= 2)
        .sort((a, b) => users[b]! - users[a]! || a - b);
      const m = order.length;
      const pos = new Map(order.map((it, p) => [it, p]));
      const g = new Float64Array(m * m);
      for (const s of seqs) {
        const ps = [...new Set(s)].map((i) => pos.get(i)).filter((p) => p !== undefined);
        for (const a of ps) for (const b of ps) g[a * m + b]! += 1;
      }
      for (let a = 0; a < m; a++)
        for (let b = 0; b < m; b++) if (scenarioOf(order[a]!) !== scenarioOf(order[b]!)) g[a * m + b] = 0;
      for (let i = 0; i < m; i++) g[i * m + i]! += lambda;
      invertSpd(g, m);
      return (a: number, b: number) => {
        const pa = pos.get(a);
        const pb = pos.get(b);
        if (pa === undefined || pb === undefined || a === b) return 0;
        return Math.fround(-g[pa * m + pb]! / g[pb * m + pb]!);
      };
    };
    let x = 7;
    const rnd = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    const n = 60;
    const scenarioOf = (i: number) => ['a', 'b', 'c'][i % 3]!;
    const seqs = Array.from({ length: 300 }, () =>
      Array.from({ length: 2 + Math.floor(rnd() * 6) }, () => Math.floor(rnd() * rnd() * n)),
    );
    const g = buildEase(seqs, n, { items: 100, lambda: 2, neighbours: 100, scenarioOf });
    const want = reference(seqs, n, 2, scenarioOf);
    let compared = 0;
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) {
        if (scenarioOf(a) !== scenarioOf(b)) continue;
        assert.equal(edgeWeight(g, a, b), want(a, b), `(${a}, ${b})`);
        if (want(a, b) !== 0) compared++;
      }
    assert.ok(compared > 500, `${compared} weights compared`);
  });
});
