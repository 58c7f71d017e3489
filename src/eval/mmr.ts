/**
 * Maximal marginal relevance (Carbonell & Goldstein 1998) over a ranked candidate list: each pick
 * maximises (1 - lambda) * relevance - lambda * (max similarity to the items already picked).
 * lambda 0 keeps the relevance order; relevance is min-max scaled to [0, 1] so lambda means the
 * same for every model whatever the scale of its scores.
 */
export function mmr(
  candidates: readonly number[],
  relevance: readonly number[],
  lambda: number,
  k: number,
  similarity: (a: number, b: number) => number,
): number[] {
  const n = candidates.length;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const r of relevance) {
    if (!Number.isFinite(r)) continue;
    lo = Math.min(lo, r);
    hi = Math.max(hi, r);
  }
  const span = hi > lo ? hi - lo : 1;
  const rel = relevance.map((r) => (Number.isFinite(r) ? (r - lo) / span : 0));
  const maxSim = new Float64Array(n).fill(0);
  const taken = new Uint8Array(n);
  const out: number[] = [];
  for (let step = 0; step < Math.min(k, n); step++) {
    let best = -1;
    let bestVal = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < n; c++) {
      if (taken[c]) continue;
      const v = (1 - lambda) * rel[c]! - (out.length > 0 ? lambda * maxSim[c]! : 0);
      if (v > bestVal) {
        bestVal = v;
        best = c;
      }
    }
    taken[best] = 1;
    out.push(candidates[best]!);
    for (let c = 0; c < n; c++) {
      if (!taken[c]) maxSim[c] = Math.max(maxSim[c]!, similarity(candidates[best]!, candidates[c]!));
    }
  }
  return out;
}
