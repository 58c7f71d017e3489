/**
 * The attribute graph's links across scenarios: for each item, the items of the other scenarios
 * whose metadata it shares most (a food item's title words in a kitchen item's title: chocolate
 * and a chocolate melting pot). Tokens are matched across scenarios here (one IDF over the whole
 * catalogue), where the graph within a scenario keeps each scenario's tokens apart. These links
 * are appended to each item's row of the attribute graph, after its neighbours in its own scenario,
 * and feed the cross-scenario feature `attrCross` (the other scenarios' history items); the `attr`
 * and `attrLast` features read the target scenario's items only, so the links never reach them.
 */

import { attrMatrix, indexOfToken, LIST_OVER_LOOKUP, postingLists, TopK } from './attr.ts';
import type { Csr } from './csr.ts';

export interface AttrCrossOptions {
  /** links kept per item to the other scenarios' items (0 = none) */
  neighbours: number;
  /** items of each scenario each token proposes as candidates, the most engaged first */
  postings: number;
}

/**
 * Per item, its `neighbours` most similar items of the other scenarios (IDF-weighted cosine over
 * the tokens they share, ties to the more engaged), as a CSR; undefined with one scenario or no
 * token held in two scenarios.
 */
export function buildAttrCross(
  tokens: readonly (readonly string[])[],
  scenario: ArrayLike<string | number>,
  engagement: ArrayLike<number>,
  opts: AttrCrossOptions,
  signal?: AbortSignal,
): Csr | undefined {
  const n = tokens.length;
  const codes = new Map<string | number, number>();
  const sc = Int32Array.from({ length: n }, (_, i) => {
    const s = scenario[i]!;
    if (!codes.has(s)) codes.set(s, codes.size);
    return codes.get(s)!;
  });
  const S = codes.size;
  if (opts.neighbours <= 0 || S < 2) return undefined;
  // one scenario key for every item: a token means the same in every scenario
  const x = attrMatrix(tokens, new Int32Array(n));
  if (!x) return undefined;
  const { tokOf, wOf } = x;
  // each (token, scenario)'s items, the most engaged first, with the token's weight in each
  const { postItems, postWeights } = postingLists(x, x.numTokens * S, (i, t) => t * S + sc[i]!, engagement);
  const offsets = new Int32Array(n + 1);
  const outItems: number[] = [];
  const outWeights: number[] = [];
  const mark = new Int32Array(n).fill(-1);
  const acc = new Float64Array(n);
  const cand: number[] = [];
  const heap = new TopK(opts.neighbours, engagement);
  for (let a = 0; a < n; a++) {
    if (a % 2000 === 0) signal?.throwIfAborted();
    offsets[a] = outItems.length;
    const ta = tokOf[a]!;
    if (ta.length === 0) continue;
    cand.length = 0;
    for (const t of ta)
      for (let s = 0; s < S; s++) {
        if (s === sc[a]) continue;
        const items = postItems[t * S + s]!;
        const m = Math.min(items.length, opts.postings);
        for (let j = 0; j < m; j++) {
          const b = items[j]!;
          if (mark[b] !== a) {
            mark[b] = a;
            acc[b] = 0;
            cand.push(b);
          }
        }
      }
    if (cand.length === 0) continue;
    // X_a . X_b over every token the two share, in token order (as the graph within a scenario)
    const wa = wOf[a]!;
    for (let k = 0; k < ta.length; k++) {
      const t = ta[k]!;
      const w = wa[k]!;
      for (let s = 0; s < S; s++) {
        if (s === sc[a]) continue;
        const items = postItems[t * S + s]!;
        if (items.length === 0) continue;
        if (items.length <= LIST_OVER_LOOKUP * cand.length) {
          const ws = postWeights[t * S + s]!;
          for (let j = 0; j < items.length; j++) {
            const b = items[j]!;
            if (mark[b] === a) acc[b]! += w * ws[j]!;
          }
        } else
          for (const b of cand) {
            if (sc[b] !== s) continue;
            const at = indexOfToken(tokOf[b]!, t);
            if (at >= 0) acc[b]! += w * wOf[b]![at]!;
          }
      }
    }
    heap.clear();
    for (const b of cand) heap.offer(b, acc[b]!);
    for (const [b, s] of heap.sorted()) {
      outItems.push(b);
      outWeights.push(s);
    }
  }
  offsets[n] = outItems.length;
  if (outItems.length === 0) return undefined;
  return { offsets, items: Int32Array.from(outItems), weights: Float32Array.from(outWeights) };
}

/** each item's row of `within` followed by its row of `across` (either may be absent) */
export function appendRows(within: Csr | undefined, across: Csr | undefined, n: number): Csr | undefined {
  if (!across) return within;
  if (!within) return across;
  const offsets = new Int32Array(n + 1);
  const size = within.items.length + across.items.length;
  const items = new Int32Array(size);
  const weights = new Float32Array(size);
  let o = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = o;
    for (const g of [within, across])
      for (let k = g.offsets[i]!; k < g.offsets[i + 1]!; k++) {
        items[o] = g.items[k]!;
        weights[o++] = g.weights[k]!;
      }
  }
  offsets[n] = o;
  return { offsets, items, weights };
}
