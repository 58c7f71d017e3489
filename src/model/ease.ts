/**
 * EASE (Steck, WWW'19): a linear item-item model with a closed form, B = I - P / diag(P) with
 * P = (XᵀX + λI)⁻¹ over the binary user x item matrix X. It learns which items *explain* an item
 * rather than which co-occur with it, so it discounts popular items co-occurring with everything;
 * on dense listening data it is the strongest collaborative signal (docs/results.md). The inversion is
 * cubic, so the model covers only the `items` most frequent items (with at least 2 users); the
 * ranker's other features cover the long tail. Returned as a CSR graph of each row's largest
 * weights (positive and negative), like the co-occurrence graph, so scoring is the same sparse spread.
 */
import type { Csr } from './csr.ts';

const emptyCsr = (n: number): Csr => ({
  offsets: new Int32Array(n + 1),
  items: new Int32Array(0),
  weights: new Float32Array(0),
});

export interface EaseOptions {
  /** most items the model covers (the most frequent ones); 0 = no model */
  items: number;
  /** L2 regularisation added to the Gram matrix's diagonal */
  lambda: number;
  /** weights kept per row, the largest in magnitude */
  neighbours: number;
  /** when given, pairs across scenarios are ignored (each scenario alone) */
  scenarioOf?: (item: number) => string;
  signal?: AbortSignal;
}

/** pivots per panel of the blocked inversion: the panel (PANEL rows of the matrix) stays in cache */
const PANEL = 48;

/**
 * Sweeps the pivots [k0, k1) on the panel's rows alone, over the whole width (the sweep operator:
 * pivot k with d = a_kk sets a_ij -= a_ik a_kj / d, a_ik /= d, a_kj /= d, a_kk = -1/d; an SPD
 * matrix needs no pivoting). The rows become [-App⁻¹ | App⁻¹ Apr].
 */
function sweepPanel(a: Float64Array, m: number, k0: number, k1: number): void {
  for (let k = k0; k < k1; k++) {
    const rowk = a.subarray(k * m, (k + 1) * m);
    const d = rowk[k]!;
    const inv = 1 / d;
    for (let i = k0; i < k1; i++) {
      if (i === k) continue;
      const rowi = a.subarray(i * m, (i + 1) * m);
      const f = rowi[k]! * inv;
      if (f === 0) continue;
      for (let j = 0; j < m; j++) rowi[j]! -= f * rowk[j]!;
      rowi[k] = f;
    }
    for (let j = 0; j < m; j++) rowk[j]! *= inv;
    rowk[k] = -inv;
  }
}

/**
 * Inverts a symmetric positive definite m x m matrix in place: the blocked sweep operator on the
 * upper triangle. For each panel P of pivots, with A = [[App, Apr], [Arp, Arr]], the panel's rows
 * become [-App⁻¹ | App⁻¹ Apr] (`sweepPanel`) and the rest Arr - Arp App⁻¹ Apr, a rank-|P| update
 * that streams the matrix once per panel rather than once per pivot and, the matrix staying
 * symmetric, only over its upper triangle: half the arithmetic of Gauss-Jordan. Sweeping every pivot
 * leaves -A⁻¹.
 */
export function invertSpd(a: Float64Array, m: number, signal?: AbortSignal): void {
  const c = new Float64Array(PANEL * m);
  for (let k0 = 0; k0 < m; k0 += PANEL) {
    signal?.throwIfAborted();
    const k1 = Math.min(m, k0 + PANEL);
    const b = k1 - k0;
    // the panel's rows in full (their lower part from the upper triangle), kept as the multipliers
    for (let p = k0; p < k1; p++) for (let j = 0; j < p; j++) a[p * m + j] = a[j * m + p]!;
    c.set(a.subarray(k0 * m, k1 * m));
    sweepPanel(a, m, k0, k1);
    const rows = Array.from({ length: b }, (_, t) => a.subarray((k0 + t) * m, (k0 + t + 1) * m));
    for (let i = 0; i < m; i++) {
      if (i === k0) {
        i = k1 - 1;
        continue;
      }
      const row = a.subarray(i * m, (i + 1) * m);
      // the row's upper triangle, from column i (its panel columns are overwritten below)
      let t = 0;
      // four panel rows at a time: one pass over the row per four pivots
      for (; t + 4 <= b; t += 4) {
        const c0 = c[t * m + i]!;
        const c1 = c[(t + 1) * m + i]!;
        const c2 = c[(t + 2) * m + i]!;
        const c3 = c[(t + 3) * m + i]!;
        if (c0 === 0 && c1 === 0 && c2 === 0 && c3 === 0) continue;
        const p0 = rows[t]!;
        const p1 = rows[t + 1]!;
        const p2 = rows[t + 2]!;
        const p3 = rows[t + 3]!;
        for (let j = i; j < m; j++) row[j]! -= c0 * p0[j]! + c1 * p1[j]! + c2 * p2[j]! + c3 * p3[j]!;
      }
      for (; t < b; t++) {
        const f = c[t * m + i]!;
        if (f === 0) continue;
        const p = rows[t]!;
        for (let j = i; j < m; j++) row[j]! -= f * p[j]!;
      }
      // a row above the panel holds the panel's columns in its upper triangle: Arp App⁻¹
      if (i < k0) for (let u = 0; u < b; u++) row[k0 + u] = rows[u]![i]!;
    }
  }
  // -A⁻¹ on and above the diagonal: negate and mirror
  for (let i = 0; i < m; i++) {
    a[i * m + i] = -a[i * m + i]!;
    for (let j = i + 1; j < m; j++) {
      const v = -a[i * m + j]!;
      a[i * m + j] = v;
      a[j * m + i] = v;
    }
  }
}

/**
 * Positions of `order` grouped by scenario (each in increasing position): the diagonal blocks of
 * the per-scenario model; one block of every position without `scenarioOf`
 */
function blocksOf(order: readonly number[], scenarioOf: ((item: number) => string) | undefined): number[][] {
  if (!scenarioOf) return [order.map((_, p) => p)];
  const by = new Map<string, number[]>();
  order.forEach((item, p) => {
    const s = scenarioOf(item);
    const list = by.get(s);
    if (list) list.push(p);
    else by.set(s, [p]);
  });
  return [...by.values()];
}

export function buildEase(sequences: readonly ArrayLike<number>[], numItems: number, opts: EaseOptions): Csr {
  if (opts.items <= 0) return emptyCsr(numItems);
  const users = new Float64Array(numItems);
  const distinct = (seq: ArrayLike<number>) => [...new Set(Array.from(seq))];
  for (const seq of sequences) for (const i of distinct(seq)) users[i]! += 1;
  const order = Array.from(users.keys())
    .filter((i) => users[i]! >= 2)
    .sort((a, b) => users[b]! - users[a]! || a - b)
    .slice(0, opts.items);
  const m = order.length;
  if (m < 2) return emptyCsr(numItems);
  const pos = new Int32Array(numItems).fill(-1);
  order.forEach((item, p) => {
    pos[item] = p;
  });
  const g = new Float64Array(m * m);
  for (const seq of sequences) {
    const ps = distinct(seq)
      .map((i) => pos[i]!)
      .filter((p) => p >= 0);
    for (const a of ps) for (const b of ps) g[a * m + b]! += 1;
  }
  const rows = new Map<number, [number, number][]>();
  // per scenario, the Gram matrix is block-diagonal and so is its inverse: each block is inverted
  // alone: the same inverse as the whole up to rounding (a pivot's row operations skip the rows of
  // other blocks, whose entry in its column is 0) without sweeping the other blocks' columns
  for (const block of blocksOf(order, opts.scenarioOf)) {
    const s = block.length;
    const sub = new Float64Array(s * s);
    for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) sub[a * s + b] = g[block[a]! * m + block[b]!]!;
    for (let i = 0; i < s; i++) sub[i * s + i]! += opts.lambda;
    invertSpd(sub, s, opts.signal);
    for (let a = 0; a < s; a++) {
      const row: [number, number][] = [];
      for (let b = 0; b < s; b++) {
        if (a === b) continue;
        const w = -sub[a * s + b]! / sub[b * s + b]!;
        if (w !== 0) row.push([order[block[b]!]!, w]);
      }
      // the negative weights matter: they are how EASE says "this item does not follow from that one"
      row.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]) || x[0] - y[0]);
      rows.set(order[block[a]!]!, row.slice(0, opts.neighbours));
    }
  }
  const offsets = new Int32Array(numItems + 1);
  let total = 0;
  for (let i = 0; i < numItems; i++) {
    offsets[i] = total;
    total += rows.get(i)?.length ?? 0;
  }
  offsets[numItems] = total;
  const items = new Int32Array(total);
  const weights = new Float32Array(total);
  for (const [i, row] of rows) {
    row.forEach(([b, w], k) => {
      items[offsets[i]! + k] = b;
      weights[offsets[i]! + k] = w;
    });
  }
  return { offsets, items, weights };
}
