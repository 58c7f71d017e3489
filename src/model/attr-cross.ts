/**
 * The attribute graph's links across scenarios: for each item, the items of the other scenarios
 * whose metadata it shares most (a food item's title words in a kitchen item's title: chocolate
 * and a chocolate melting pot). Tokens are matched across scenarios here (one IDF over the whole
 * catalogue), where the graph within a scenario keeps each scenario's tokens apart. These links
 * are appended to each item's row of the attribute graph, after its neighbours in its own scenario,
 * and feed the cross-scenario feature `attrCross` (the other scenarios' history items); the `attr`
 * and `attrLast` features read the target scenario's items only, so the links never reach them.
 */

import { attrMatrix, nearestRows } from './attr.ts';
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
  const rows = nearestRows(x, sc, S, true, opts, engagement, signal);
  return rows.items.length > 0 ? rows : undefined;
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
