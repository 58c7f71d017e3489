import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alsScore, alsShares, foldIn, forgetItemFactors, trainAls } from './als.ts';

const opts = { factors: 4, reg: 0.1, alpha: 10, iters: 10, seed: 7 };

/** two taste groups: users 0..9 have items 0..4, users 10..19 items 5..9 (user 0 lacks item 4) */
function blocks(): number[][] {
  const rows: number[][] = [];
  for (let u = 0; u < 20; u++) {
    const base = u < 10 ? 0 : 5;
    rows.push([0, 1, 2, 3, 4].map((k) => base + k).filter((i) => !(u === 0 && i === 4)));
  }
  return rows;
}

describe('implicit ALS item model', () => {
  it("ranks the item a user's taste group holds first among those the user lacks", () => {
    const m = trainAls(blocks(), 12, opts);
    const u = foldIn(m, [0, 1, 2, 3]);
    const ranked = [4, 5, 6, 7, 8, 9, 10, 11].sort((a, b) => alsScore(m, u, b) - alsScore(m, u, a));
    assert.equal(ranked[0], 4);
    // items no row holds have zero factors and score 0
    assert.equal(alsScore(m, u, 10), 0);
    assert.equal(alsScore(m, u, 11), 0);
  });

  it('scores an observed item near 1 and an item of the other group near 0', () => {
    const m = trainAls(blocks(), 10, opts);
    const u = foldIn(m, [5, 6, 7, 8, 9]);
    assert.ok(alsScore(m, u, 7) > 0.8, `held item ${alsScore(m, u, 7)}`);
    assert.ok(Math.abs(alsScore(m, u, 2)) < 0.2, `other group ${alsScore(m, u, 2)}`);
  });

  it('trains by conjugate gradient: as many steps as factors give the exact solve; three rank as well', () => {
    const exact = trainAls(blocks(), 12, opts);
    const cg = trainAls(blocks(), 12, { ...opts, cgSteps: opts.factors * 2 });
    let diff = 0;
    for (let k = 0; k < exact.items.length; k++)
      diff = Math.max(diff, Math.abs(exact.items[k]! - cg.items[k]!));
    assert.ok(diff < 1e-3, `largest factor difference ${diff}`);
    const few = trainAls(blocks(), 12, { ...opts, cgSteps: 3 });
    const u = foldIn(few, [0, 1, 2, 3]);
    const ranked = [4, 5, 6, 7, 8, 9].sort((a, b) => alsScore(few, u, b) - alsScore(few, u, a));
    assert.equal(ranked[0], 4);
    assert.ok(alsScore(few, foldIn(few, [5, 6, 7, 8, 9]), 7) > 0.8);
  });

  it('solves the normal equations of the fold-in (Cholesky checked against the system)', () => {
    const m = trainAls(blocks(), 10, opts);
    const hist = [0, 2, 2, 7];
    const x = foldIn(m, hist);
    const f = m.dim;
    // (G + sum alpha c y yᵀ) x = sum (1 + alpha c) y, with c = 2 for item 2
    const counts = new Map([
      [0, 1],
      [2, 2],
      [7, 1],
    ]);
    for (let p = 0; p < f; p++) {
      let lhs = 0;
      for (let q = 0; q < f; q++) lhs += m.gram[p * f + q]! * x[q]!;
      let rhs = 0;
      for (const [i, c] of counts) {
        const y = m.items.subarray(i * f, (i + 1) * f);
        let yx = 0;
        for (let q = 0; q < f; q++) yx += y[q]! * x[q]!;
        lhs += m.alpha * c * y[p]! * yx;
        rhs += (1 + m.alpha * c) * y[p]!;
      }
      assert.ok(Math.abs(lhs - rhs) < 1e-4, `row ${p}: ${lhs} vs ${rhs}`);
    }
  });

  it('is deterministic for a seed, and an empty or unknown history folds in to zero', () => {
    const a = trainAls(blocks(), 10, opts);
    const b = trainAls(blocks(), 10, opts);
    assert.deepEqual(a.items, b.items);
    assert.ok(foldIn(a, []).every((v) => v === 0));
    assert.ok(foldIn(a, [42]).every((v) => v === 0));
    assert.equal(alsScore(a, foldIn(a, [0]), 42), 0);
  });

  it('stops when aborted', () => {
    const c = new AbortController();
    c.abort();
    assert.throws(() => trainAls(blocks(), 10, { ...opts, signal: c.signal }));
  });
});

describe('latent model: explanation shares and erasure', () => {
  it("splits an item's score exactly over the history items it was folded in from", () => {
    const m = trainAls(blocks(), 10, opts);
    const hist = [0, 1, 1, 3, 7];
    const u = foldIn(m, hist);
    for (const item of [2, 4, 8]) {
      const shares = alsShares(m, hist, item);
      assert.deepEqual([...shares.keys()].sort(), [0, 1, 3, 7]);
      const sum = [...shares.values()].reduce((s, v) => s + v, 0);
      assert.ok(
        Math.abs(sum - alsScore(m, u, item)) < 1e-5,
        `item ${item}: ${sum} vs ${alsScore(m, u, item)}`,
      );
    }
    // the items of the user's own taste group carry the held item's score
    const shares = alsShares(m, [0, 1, 7], 2);
    assert.ok(shares.get(0)! > shares.get(7)!);
  });

  it('forgets an item: its row is 0 and the shared system is that of the other items', () => {
    const m = trainAls(blocks(), 10, opts);
    const f = m.dim;
    forgetItemFactors(m, 3);
    assert.ok(m.items.subarray(3 * f, 4 * f).every((v) => v === 0));
    for (let p = 0; p < f; p++)
      for (let q = 0; q < f; q++) {
        let g = p === q ? opts.reg : 0;
        for (let i = 0; i < 10; i++) g += m.items[i * f + p]! * m.items[i * f + q]!;
        assert.ok(Math.abs(g - m.gram[p * f + q]!) < 1e-4, `(${p},${q})`);
      }
    assert.equal(alsScore(m, foldIn(m, [0, 1]), 3), 0);
  });
});
