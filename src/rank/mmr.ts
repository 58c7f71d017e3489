/**
 * Maximal marginal relevance: picks items one at a time by (1 - lambda) * relevance - lambda *
 * (highest similarity to an item already picked). lambda 0 keeps the ranker's order.
 */
/**
 * At most `max` items of one group in the list (a scenario's `maxPerCategory`): `counts` holds the
 * items of each group already placed (promoted ones), and is updated with every pick.
 */
export interface GroupCap {
  groupOf(item: number): string | undefined;
  max: number;
  counts: Map<string, number>;
}

export function mmr(
  items: readonly number[],
  scores: Float32Array,
  n: number,
  lambda: number,
  similarity: (a: number, b: number) => number,
  /** a lower bound of `similarity` (e.g. -1 for unit vectors): lets clearly weaker items be skipped */
  floor = Number.NEGATIVE_INFINITY,
  cap?: GroupCap,
): number[] {
  let order = items.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || items[a]! - items[b]!);
  // a group's items past its cap in relevance order can never be picked: they leave first
  if (cap) order = withinCap(order, (i) => cap.groupOf(items[i]!), cap);
  const pick = (i: number) => {
    const g = cap?.groupOf(items[i]!);
    if (g !== undefined) cap!.counts.set(g, (cap!.counts.get(g) ?? 0) + 1);
    return items[i]!;
  };
  if (lambda <= 0 || n <= 1) return order.slice(0, n).map(pick);
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
      if (cap && !fits(cap, cap.groupOf(items[pool[p]!]!))) continue;
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
    if (best < 0) break;
    taken[best] = 1;
    out.push(pick(pool[best]!));
  }
  return out;
}

function fits(cap: GroupCap, g: string | undefined): boolean {
  return g === undefined || (cap.counts.get(g) ?? 0) < cap.max;
}

/** `order` without the items each group has beyond its room left under the cap */
export function withinCap<T>(order: readonly T[], groupOf: (x: T) => string | undefined, cap: GroupCap): T[] {
  const seen = new Map<string, number>();
  return order.filter((x) => {
    const g = groupOf(x);
    if (g === undefined) return true;
    const k = (seen.get(g) ?? 0) + 1;
    seen.set(g, k);
    return k + (cap.counts.get(g) ?? 0) <= cap.max;
  });
}
