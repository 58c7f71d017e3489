/**
 * Erasing one user's contribution from trained item graphs, without retraining everyone.
 *
 * Every edge a user can have contributed joins two items of their own history. For the additive
 * graphs (co-occurrence `knn`, transitions `trans`) the user's share of an edge's raw weight is
 * known exactly from their sequence, by the rules `buildItemGraphs` counts pairs with, and so is
 * what everyone else gives the same pair: the edge is scaled by rest / (rest + mine), and removed
 * where the rest is 0 (a link the user alone made). The normaliser (item counts, out-mass) is left
 * as trained, so a kept edge is never stronger than a retrain would make it. The EASE graphs are a
 * matrix inverse, not a sum: an edge between two of the user's items that no other user holds
 * together is removed; the rest stays until the next training (docs/security.md). So do the latent
 * factors: an item the user alone had loses its factors, the others keep theirs. Item counts lose
 * the user's events exactly, and the users kept for cross-scenario matching lose the user's row.
 */
import { forgetItemFactors } from './als.ts';
import { forEachArrival } from './arrivals.ts';
import type { Csr } from './csr.ts';
import type { GraphOptions, ItemGraphs } from './graph.ts';
import { withoutUserRow } from './users.ts';

export type PairRules = Pick<
  GraphOptions,
  'window' | 'transitionSteps' | 'crossScenario' | 'distanceWeighted' | 'wholeHistory'
> & { scenarioOf: (item: number) => string };

type GraphName = 'knn' | 'trans' | 'ease' | 'easeFused';

/** what to take out of a set of graphs, in their dense item indices */
export interface GraphErasure {
  /** per item, how many of its counted interactions go */
  counts: [item: number, n: number][];
  /** per item, how many of its counted arrivals from another scenario go (ItemGraphs.crossCounts) */
  crossCounts?: [item: number, n: number][] | undefined;
  /** directed edges to scale by `factor` (0: remove) */
  edges: [graph: GraphName, a: number, b: number, factor: number][];
  /** the `userKeyHash` of the erased user: their row among the kept users (model/users.ts) */
  user?: number | undefined;
}

const key = (a: number, b: number) => `${a},${b}`;

/**
 * The pairs of one sequence as `buildItemGraphs` counts them: each co-occurring pair (a before b)
 * with its co-occurrence weight, and its transition weight (0 beyond `transitionSteps`).
 */
function forEachPair(
  seq: ArrayLike<number>,
  r: PairRules,
  keep: (a: number, b: number) => boolean,
  visit: (a: number, b: number, co: number, tr: number) => void,
): void {
  const n = seq.length;
  const window = r.wholeHistory ? n : r.window;
  for (let p = 0; p < n; p++) {
    const a = seq[p]!;
    for (let q = p + 1; q < n && q - p <= window; q++) {
      const b = seq[q]!;
      if (a === b || !keep(a, b)) continue;
      if (!r.crossScenario && r.scenarioOf(a) !== r.scenarioOf(b)) continue;
      const co = r.distanceWeighted && !r.wholeHistory ? 1 / Math.log2(1 + (q - p)) : 1;
      visit(a, b, co, q - p <= r.transitionSteps ? 1 / (q - p) : 0);
    }
  }
}

function rowHas(g: Csr | undefined, a: number, b: number): boolean {
  if (!g || a + 1 >= g.offsets.length) return false;
  for (let o = g.offsets[a]!; o < g.offsets[a + 1]!; o++) if (g.items[o] === b) return true;
  return false;
}

/**
 * What erasing the sequence `mine` takes out of `graphs`, given every other user's training
 * sequence (`others`, read once, only when `mine` holds a pair).
 */
export function graphErasure(
  graphs: ItemGraphs,
  mine: readonly number[],
  others: () => Iterable<ArrayLike<number>>,
  rules: PairRules,
): GraphErasure {
  const counts = new Map<number, number>();
  for (const i of mine) counts.set(i, (counts.get(i) ?? 0) + 1);
  const out: GraphErasure = { counts: [...counts.entries()], edges: [] };
  if (graphs.crossCounts) {
    // the user's arrivals, counted by the rule the graphs counted them with
    const arrived = new Map<number, number>();
    forEachArrival(mine, rules.scenarioOf, rules.wholeHistory, (i) =>
      arrived.set(i, (arrived.get(i) ?? 0) + 1),
    );
    out.crossCounts = [...arrived.entries()];
  }
  const own = new Set(mine);
  if (own.size < 2) return out;

  // the user's share of every pair (co-occurrence both ways, transitions a -> b)
  const co = new Map<string, { mine: number; rest: number }>();
  const tr = new Map<string, { mine: number; rest: number }>();
  const add = (m: Map<string, { mine: number; rest: number }>, k: string, w: number, mineSide: boolean) => {
    let e = m.get(k);
    if (!e) {
      if (!mineSide) return;
      e = { mine: 0, rest: 0 };
      m.set(k, e);
    }
    if (mineSide) e.mine += w;
    else e.rest += w;
  };
  const visitor = (mineSide: boolean) => (a: number, b: number, w: number, t: number) => {
    add(co, key(a, b), w, mineSide);
    add(co, key(b, a), w, mineSide);
    if (t > 0) add(tr, key(a, b), t, mineSide);
  };
  const always = () => true;
  forEachPair(mine, rules, always, visitor(true));

  // EASE edges between two of the user's items: kept only where another user holds both
  const easeGraphs = (['ease', 'easeFused'] as const).filter((g) => graphs[g] !== undefined);
  const easePairs = new Map<string, number>();
  const ownList = [...own];
  for (const a of ownList)
    for (const b of ownList)
      if (a !== b && easeGraphs.some((g) => rowHas(graphs[g], a, b))) easePairs.set(key(a, b), 0);

  const inOwn = (a: number, b: number) => own.has(a) && own.has(b);
  const restVisitor = visitor(false);
  for (const seq of others()) {
    forEachPair(seq, rules, inOwn, restVisitor);
    if (easePairs.size === 0) continue;
    const shared = [...new Set(Array.from(seq))].filter((i) => own.has(i));
    for (const a of shared)
      for (const b of shared) {
        const k = key(a, b);
        const n = easePairs.get(k);
        if (n !== undefined) easePairs.set(k, n + 1);
      }
  }

  for (const [name, m] of [
    ['knn', co],
    ['trans', tr],
  ] as const) {
    for (const [k, e] of m) {
      if (e.mine <= 0) continue;
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (!rowHas(graphs[name], a, b)) continue;
      out.edges.push([name, a, b, e.rest > 0 ? e.rest / (e.rest + e.mine) : 0]);
    }
  }
  for (const [k, n] of easePairs) {
    if (n > 0) continue;
    const [a, b] = k.split(',').map(Number) as [number, number];
    for (const g of easeGraphs) if (rowHas(graphs[g], a, b)) out.edges.push([g, a, b, 0]);
  }
  return out;
}

/** the graph without the removed edges and with the scaled ones scaled (a new CSR) */
function scaled(g: Csr, changes: ReadonlyMap<string, number>): Csr {
  const n = g.offsets.length - 1;
  const offsets = new Int32Array(n + 1);
  const items: number[] = [];
  const weights: number[] = [];
  for (let a = 0; a < n; a++) {
    offsets[a] = items.length;
    for (let o = g.offsets[a]!; o < g.offsets[a + 1]!; o++) {
      const b = g.items[o]!;
      const f = changes.get(key(a, b)) ?? 1;
      if (f === 0) continue;
      items.push(b);
      weights.push(g.weights[o]! * f);
    }
  }
  offsets[n] = items.length;
  return { offsets, items: Int32Array.from(items), weights: Float32Array.from(weights) };
}

/** applies an erasure to the graphs in place (their arrays are replaced, never shared) */
export function applyGraphErasure(graphs: ItemGraphs, e: GraphErasure): void {
  for (const [item, n] of e.counts) {
    if (item >= graphs.counts.length) continue;
    graphs.counts[item] = Math.max(0, graphs.counts[item]! - n);
    if (graphs.counts[item] !== 0) continue;
    if (graphs.als) forgetItemFactors(graphs.als, item);
    if (graphs.alsFused) forgetItemFactors(graphs.alsFused, item);
  }
  const cross = graphs.crossCounts;
  if (cross)
    for (const [item, n] of e.crossCounts ?? [])
      if (item < cross.length) cross[item] = Math.max(0, cross[item]! - n);
  // the user's row among the users active in several scenarios: their distinct training items
  if (graphs.users && e.counts.length > 0)
    graphs.users = withoutUserRow(
      graphs.users,
      e.counts.map(([i]) => i),
      e.user ?? 0,
    );
  const byGraph = new Map<GraphName, Map<string, number>>();
  for (const [g, a, b, f] of e.edges) {
    let m = byGraph.get(g);
    if (!m) {
      m = new Map();
      byGraph.set(g, m);
    }
    m.set(key(a, b), f);
  }
  for (const [name, changes] of byGraph) {
    const g = graphs[name];
    if (g) graphs[name] = scaled(g, changes);
  }
}

/** an erasure in item ids, to send to another process or apply to graphs indexed otherwise */
export interface IdErasure {
  counts: [item: string, n: number][];
  crossCounts?: [item: string, n: number][] | undefined;
  edges: [graph: GraphName, a: string, b: string, factor: number][];
  user?: number | undefined;
}

export function erasureToIds(e: GraphErasure, itemIds: readonly string[]): IdErasure {
  return {
    counts: e.counts.map(([i, n]) => [itemIds[i]!, n]),
    ...(e.crossCounts ? { crossCounts: e.crossCounts.map(([i, n]) => [itemIds[i]!, n]) } : {}),
    edges: e.edges.map(([g, a, b, f]) => [g, itemIds[a]!, itemIds[b]!, f]),
    ...(e.user !== undefined ? { user: e.user } : {}),
  };
}

/** the erasure in the indices of `index`; items it does not know are skipped */
export function erasureFromIds(e: IdErasure, index: ReadonlyMap<string, number>): GraphErasure {
  const out: GraphErasure = { counts: [], edges: [], ...(e.user !== undefined ? { user: e.user } : {}) };
  for (const [id, n] of e.counts) {
    const i = index.get(id);
    if (i !== undefined) out.counts.push([i, n]);
  }
  if (e.crossCounts) {
    out.crossCounts = [];
    for (const [id, n] of e.crossCounts) {
      const i = index.get(id);
      if (i !== undefined) out.crossCounts.push([i, n]);
    }
  }
  for (const [g, a, b, f] of e.edges) {
    const ia = index.get(a);
    const ib = index.get(b);
    if (ia !== undefined && ib !== undefined) out.edges.push([g, ia, ib, f]);
  }
  return out;
}
