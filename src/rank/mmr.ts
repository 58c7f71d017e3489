/**
 * Maximal marginal relevance: picks items one at a time by (1 - lambda) * relevance - lambda *
 * (highest similarity to an item already picked). lambda 0 keeps the ranker's order.
 */
export function mmr(
  items: readonly number[],
  scores: Float32Array,
  n: number,
  lambda: number,
  similarity: (a: number, b: number) => number,
  /** a lower bound of `similarity` (e.g. -1 for unit vectors): lets clearly weaker items be skipped */
  floor = Number.NEGATIVE_INFINITY,
): number[] {
  const order = items.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || items[a]! - items[b]!);
  if (lambda <= 0 || n <= 1) return order.slice(0, n).map((i) => items[i]!);
  // diversify within the best few times n only: far-down candidates are not worth the quadratic cost
  const pool = order.slice(0, Math.max(n * 5, 50));
  const lo = scores[pool[pool.length - 1]!]!;
  const hi = scores[pool[0]!]!;
  const rel = (i: number) => (hi > lo ? (scores[i]! - lo) / (hi - lo) : 1);
  // Lazy but exact: maxSim[p] covers the first checked[p] picks only. More picks can only raise it,
  // so (1 - lambda) * rel - lambda * maxSim (or the floor before any) bounds the item's value from
  // above; an item whose bound cannot beat the best so far is not brought up to date.
  const maxSim = new Float64Array(pool.length).fill(Number.NEGATIVE_INFINITY);
  const checked = new Int32Array(pool.length);
  const taken = new Uint8Array(pool.length);
  const out: number[] = [];
  while (out.length < n && out.length < pool.length) {
    let best = -1;
    let bestV = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < pool.length; p++) {
      if (taken[p]) continue;
      const r = (1 - lambda) * rel(pool[p]!);
      if (out.length > 0 && checked[p]! < out.length) {
        const known = checked[p]! > 0 ? maxSim[p]! : floor;
        // ties keep the earlier item, as the full scan does
        if (r - lambda * Math.max(known, floor) <= bestV) continue;
        let m = maxSim[p]!;
        for (let t = checked[p]!; t < out.length; t++) m = Math.max(m, similarity(items[pool[p]!]!, out[t]!));
        maxSim[p] = m;
        checked[p] = out.length;
      }
      const div = out.length === 0 ? 0 : maxSim[p]!;
      const v = r - lambda * div;
      if (v > bestV) {
        bestV = v;
        best = p;
      }
    }
    taken[best] = 1;
    out.push(items[pool[best]!]!);
  }
  return out;
}
