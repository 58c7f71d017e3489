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
  if (opts.scenarioOf) {
    const sc = order.map((i) => opts.scenarioOf!(i));
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) if (sc[a] !== sc[b]) g[a * m + b] = 0;
  }
  for (let i = 0; i < m; i++) g[i * m + i]! += opts.lambda;
  invertSpd(g, m, opts.signal);
  const offsets = new Int32Array(numItems + 1);
  const rows = new Map<number, [number, number][]>();
  for (let a = 0; a < m; a++) {
    const row: [number, number][] = [];
    for (let b = 0; b < m; b++) {
      if (a === b) continue;
      const w = -g[a * m + b]! / g[b * m + b]!;
      if (w !== 0) row.push([order[b]!, w]);
    }
    // the negative weights matter: they are how EASE says "this item does not follow from that one"
    row.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]) || x[0] - y[0]);
    rows.set(order[a]!, row.slice(0, opts.neighbours));
  }
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
