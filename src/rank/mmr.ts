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
): number[] {
  const order = items.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || items[a]! - items[b]!);
  if (lambda <= 0 || n <= 1) return order.slice(0, n).map((i) => items[i]!);
  // diversify within the best few times n only: far-down candidates are not worth the quadratic cost
  const pool = order.slice(0, Math.max(n * 5, 50));
  const lo = scores[pool[pool.length - 1]!]!;
  const hi = scores[pool[0]!]!;
  const rel = (i: number) => (hi > lo ? (scores[i]! - lo) / (hi - lo) : 1);
  const maxSim = new Float64Array(pool.length).fill(Number.NEGATIVE_INFINITY);
  const taken = new Uint8Array(pool.length);
  const out: number[] = [];
  while (out.length < n && out.length < pool.length) {
    let best = -1;
    let bestV = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < pool.length; p++) {
      if (taken[p]) continue;
      const div = out.length === 0 ? 0 : maxSim[p]!;
      const v = (1 - lambda) * rel(pool[p]!) - lambda * div;
      if (v > bestV) {
        bestV = v;
        best = p;
      }
    }
    taken[best] = 1;
    const picked = items[pool[best]!]!;
    out.push(picked);
    for (let p = 0; p < pool.length; p++) {
      if (!taken[p]) maxSim[p] = Math.max(maxSim[p]!, similarity(items[pool[p]!]!, picked));
    }
  }
  return out;
}
