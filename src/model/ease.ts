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

/** inverts a symmetric positive definite m x m matrix in place (Gauss-Jordan, no pivoting needed) */
export function invertSpd(a: Float64Array, m: number, signal?: AbortSignal): void {
  for (let k = 0; k < m; k++) {
    if (k % 64 === 0) signal?.throwIfAborted();
    const rowk = a.subarray(k * m, (k + 1) * m);
    const inv = 1 / rowk[k]!;
    for (let j = 0; j < m; j++) rowk[j]! *= inv;
    rowk[k] = inv;
    for (let i = 0; i < m; i++) {
      if (i === k) continue;
      const rowi = a.subarray(i * m, (i + 1) * m);
      const f = rowi[k]!;
      if (f === 0) continue;
      for (let j = 0; j < m; j++) rowi[j]! -= f * rowk[j]!;
      rowi[k] = -f * inv;
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
  // alone, the same arithmetic on its entries as the whole (a pivot's row operations skip the rows
  // of other blocks, whose entry in its column is 0) without sweeping the other blocks' columns
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
