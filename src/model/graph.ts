/**
 * Item-item graphs learned from logged sequences: a recency-aware co-occurrence neighbourhood
 * (item-KNN) and first-order-ish transitions (what comes next). On sparse Amazon data these
 * neighbourhood signals are the strongest single evidence; the ranker combines them with text.
 * Stored as CSR (offsets/items/weights) so a model file is three typed arrays per graph.
 */
import { type AlsModel, type AlsOptions, DEFAULT_ALS, trainAls } from './als.ts';
import { arrivals } from './arrivals.ts';
import type { Csr } from './csr.ts';
import { buildEase } from './ease.ts';
import { buildCrossUsers, type CrossUsers } from './users.ts';

export interface GraphOptions {
  /** largest distance between two positions of a sequence that still co-occur */
  window: number;
  /** neighbours kept per item */
  maxNeighbors: number;
  /** transitions look this many steps ahead (weight 1/step) */
  transitionSteps: number;
  /** when false, pairs across scenarios are ignored (the no-fusion ablation) */
  crossScenario: boolean;
  /** added to the cosine denominator: damps similarities resting on few co-occurrences */
  shrink: number;
  /** co-occurrence weight 1/log2(1+distance) instead of 1 */
  distanceWeighted: boolean;
  /**
   * Co-occurrence over each whole sequence, every pair weighted 1 (window and distance weighting
   * ignored): for data whose order carries no time (a listening profile, a set of likes), where a
   * window would cut a user's history at the arbitrary positions of a file.
   */
  wholeHistory: boolean;
  /** the EASE item model (see ease.ts); easeItems 0 switches it off */
  easeItems: number;
  easeLambda: number;
  /** lambda of the cross-scenario EASE (`easeFused`); absent = `easeLambda` */
  easeFusedLambda?: number | undefined;
  /** the implicit-feedback factorisation (see als.ts); factors 0 switches it off */
  als: Omit<AlsOptions, 'seed' | 'signal'>;
  /**
   * neighbours of the cross-scenario user matching (see users.ts, the `usersCross` feature); 0 or
   * absent: no users are kept
   */
  crossUsers?: number | undefined;
  /** count the items' arrivals from other scenarios (`crossCounts`); absent or false: none */
  arrivals?: boolean | undefined;
}

export const DEFAULT_GRAPH_OPTIONS: GraphOptions = {
  window: 20,
  maxNeighbors: 200,
  transitionSteps: 3,
  crossScenario: true,
  shrink: 20,
  distanceWeighted: true,
  wholeHistory: false,
  easeItems: 2000,
  easeLambda: 100,
  als: DEFAULT_ALS,
};

/** the factorisation's seed: the graphs are a deterministic function of the data and the options */
const ALS_SEED = 1;

/**
 * True when the sequences carry no order: most sequences of two or more events have a single
 * timestamp for all of them (lastfm's listening counts are undated, so their order is file order).
 */
export function carriesNoOrder(timestamps: Iterable<ArrayLike<number>>): boolean {
  let multi = 0;
  let flat = 0;
  for (const ts of timestamps) {
    if (ts.length < 2) continue;
    multi++;
    let same = true;
    for (let i = 1; i < ts.length && same; i++) same = ts[i] === ts[0];
    if (same) flat++;
  }
  return multi > 0 && flat >= 0.9 * multi;
}

export interface ItemGraphs {
  knn: Csr;
  trans: Csr;
  /**
   * EASE item-item weights among the most frequent items (empty rows elsewhere), each scenario's
   * block alone: an item is explained by items of its own scenario only, as in the model of that
   * scenario alone (one inversion of the block-diagonal Gram matrix solves every scenario's model)
   */
  ease: Csr;
  /**
   * EASE over all scenarios together (cross-scenario pairs kept): the fused model's extra evidence,
   * the `easeFused` feature. Absent when the graphs were built without cross-scenario pairs.
   */
  easeFused?: Csr | undefined;
  /**
   * latent item factors (implicit ALS), learned from each user's history in each scenario apart:
   * what the model of each scenario alone learns. Absent when switched off.
   */
  als?: AlsModel | undefined;
  /**
   * the factorisation of whole histories, every scenario together: the cross-scenario `alsFused`
   * feature. Absent when the graphs were built without cross-scenario pairs or on one scenario.
   */
  alsFused?: AlsModel | undefined;
  /**
   * items of one scenario sharing catalogue metadata (model/attr.ts): the `attr` and `attrLast`
   * features; each row followed, where the graphs fuse scenarios, by the item's links to the other
   * scenarios' items (model/attr-cross.ts): the `attrCross` feature. Absent when switched off or
   * when no item shares a token with another.
   */
  attr?: Csr | undefined;
  /**
   * the training users active in several scenarios, as rows of their items: the cross-scenario
   * `usersCross` feature (users.ts). Absent without cross-scenario pairs or on one scenario.
   */
  users?: CrossUsers | undefined;
  /** interactions per item in the training data */
  counts: Float32Array;
  /** per item, its `arrivals` from other scenarios (`popularityCross`); absent unless fused and asked */
  crossCounts?: Float32Array | undefined;
}

type Acc = Map<number, Map<number, number>>;

function bump(acc: Acc, a: number, b: number, w: number): void {
  let row = acc.get(a);
  if (!row) {
    row = new Map();
    acc.set(a, row);
  }
  row.set(b, (row.get(b) ?? 0) + w);
}

/**
 * Each row's top `k` neighbours *per scenario of the neighbour*: a fused graph then holds every
 * within-scenario edge a per-scenario graph would, and cross-scenario edges on top, instead of
 * letting one scenario's neighbours crowd the other's out of a shared top k.
 */
function toCsr(
  acc: Acc,
  n: number,
  k: number,
  norm: (a: number, b: number, w: number) => number,
  scenarioOf: (item: number) => string,
  keep?: (a: number, b: number) => boolean,
): Csr {
  const offsets = new Int32Array(n + 1);
  const rows: [number, Float32Array, Int32Array][] = [];
  let total = 0;
  for (let a = 0; a < n; a++) {
    const row = acc.get(a);
    offsets[a] = total;
    if (!row) continue;
    const entries = [...row.entries()]
      .filter(([b]) => !keep || keep(a, b))
      .map(([b, w]) => [b, norm(a, b, w)] as const);
    entries.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    const kept = new Map<string, number>();
    const top = entries.filter(([b]) => {
      const s = scenarioOf(b);
      const c = kept.get(s) ?? 0;
      kept.set(s, c + 1);
      return c < k;
    });
    rows.push([a, Float32Array.from(top, (e) => e[1]), Int32Array.from(top, (e) => e[0])]);
    total += top.length;
  }
  offsets[n] = total;
  const items = new Int32Array(total);
  const weights = new Float32Array(total);
  for (const [a, w, it] of rows) {
    items.set(it, offsets[a]!);
    weights.set(w, offsets[a]!);
  }
  return { offsets, items, weights };
}

/**
 * Builds both graphs from chronological item sequences (dense item indices).
 * Co-occurrence weight decays with distance in the sequence; similarity is cosine-normalised
 * by item frequency. Transitions are normalised by the source item's out-mass.
 */
export function buildItemGraphs(
  sequences: readonly ArrayLike<number>[],
  numItems: number,
  scenarioOf: (item: number) => string,
  opts: GraphOptions = DEFAULT_GRAPH_OPTIONS,
  signal?: AbortSignal,
): ItemGraphs {
  return graphsOf(
    countPairs(sequences, numItems, scenarioOf, opts, signal),
    sequences,
    scenarioOf,
    opts,
    signal,
  );
}

/**
 * The pair counts behind the graphs: what every setting of the shrinkage, and the graphs with or
 * without cross-scenario pairs, share. Counted once, they serve every candidate of the graph
 * tuning (src/train/tune-graph.ts) with the same arithmetic as a fresh build.
 */
export interface PairCounts {
  numItems: number;
  counts: Float32Array;
  co: Acc;
  tr: Acc;
  /** out-mass of transitions per source item and scenario of the next item */
  out: Float64Array;
  scenarioCode: Int32Array;
  scenarios: number;
  /** whether pairs across scenarios were counted (then graphs of either kind can be made) */
  crossScenario: boolean;
}

export function countPairs(
  sequences: readonly ArrayLike<number>[],
  numItems: number,
  scenarioOf: (item: number) => string,
  opts: Pick<
    GraphOptions,
    'window' | 'wholeHistory' | 'distanceWeighted' | 'transitionSteps' | 'crossScenario'
  >,
  signal?: AbortSignal,
): PairCounts {
  const counts = new Float32Array(numItems);
  const co: Acc = new Map();
  const tr: Acc = new Map();
  // out-mass of transitions per source item and scenario of the next item: a source's transitions
  // into its own scenario are normalised as they would be in that scenario alone, and those into
  // another scenario among themselves (no cross transition dilutes a within-scenario one)
  const code = new Map<string, number>();
  const scenarioCode = Int32Array.from({ length: numItems }, (_, i) => {
    const s = scenarioOf(i);
    if (!code.has(s)) code.set(s, code.size);
    return code.get(s)!;
  });
  const ns = code.size;
  const out = new Float64Array(numItems * ns);
  let seen = 0;
  for (const seq of sequences) {
    if (++seen % 2000 === 0) signal?.throwIfAborted();
    const n = seq.length;
    for (let p = 0; p < n; p++) {
      const a = seq[p]!;
      counts[a]! += 1;
      const window = opts.wholeHistory ? n : opts.window;
      for (let q = p + 1; q < n && q - p <= window; q++) {
        const b = seq[q]!;
        if (a === b) continue;
        if (!opts.crossScenario && scenarioCode[a] !== scenarioCode[b]) continue;
        const w = opts.distanceWeighted && !opts.wholeHistory ? 1 / Math.log2(1 + (q - p)) : 1;
        bump(co, a, b, w);
        bump(co, b, a, w);
        if (q - p <= opts.transitionSteps) {
          bump(tr, a, b, 1 / (q - p));
          out[a * ns + scenarioCode[b]!]! += 1 / (q - p);
        }
      }
    }
  }
  return { numItems, counts, co, tr, out, scenarioCode, scenarios: ns, crossScenario: opts.crossScenario };
}

/**
 * The graphs of counted pairs under `opts` (its shrinkage, neighbours and EASE settings; its
 * counting settings must be those `pc` was counted with). Counts with cross-scenario pairs give the
 * graphs without them too (`opts.crossScenario` false): those pairs are left out, every other
 * pair's sum and normalisation is the same.
 */
export function graphsOf(
  pc: PairCounts,
  sequences: readonly ArrayLike<number>[],
  scenarioOf: (item: number) => string,
  opts: GraphOptions,
  signal?: AbortSignal,
): ItemGraphs {
  if (opts.crossScenario && !pc.crossScenario)
    throw new Error('graphs with cross-scenario pairs need counts with them');
  const { numItems, counts, out, scenarioCode } = pc;
  const ns = pc.scenarios;
  const sameScenario = opts.crossScenario
    ? undefined
    : (a: number, b: number) => scenarioCode[a] === scenarioCode[b];
  const knn = toCsr(
    pc.co,
    numItems,
    opts.maxNeighbors,
    (a, b, w) => w / (Math.sqrt(counts[a]! * counts[b]!) + opts.shrink),
    scenarioOf,
    sameScenario,
  );
  const trans = toCsr(
    pc.tr,
    numItems,
    opts.maxNeighbors,
    (a, b, w) => w / (out[a * ns + scenarioCode[b]!]! + 1),
    scenarioOf,
    sameScenario,
  );
  const easeOf = (lambda: number, perScenario: boolean) =>
    buildEase(sequences, numItems, {
      items: opts.easeItems,
      lambda,
      // EASE spreads its evidence thinner than co-occurrence (and keeps negative weights), so it
      // keeps twice the neighbours (the measurement is in docs/recommender.md)
      neighbours: 2 * opts.maxNeighbors,
      ...(perScenario ? { scenarioOf } : {}),
      ...(signal ? { signal } : {}),
    });
  const ease = easeOf(opts.easeLambda, true);
  // one scenario: the fused model would be the same one
  const fused = opts.crossScenario && opts.easeItems > 0 && ns > 1;
  const latent = latentOf(sequences, numItems, scenarioOf, opts, signal);
  const users =
    opts.crossScenario && ns > 1 ? buildCrossUsers(sequences, scenarioOf, opts.crossUsers ?? 0) : undefined;
  const crossCounts =
    opts.crossScenario && ns > 1 && opts.arrivals
      ? arrivals(sequences, (i) => scenarioCode[i]!, numItems, opts.wholeHistory)
      : undefined;
  return {
    knn,
    trans,
    ease,
    counts,
    ...(crossCounts ? { crossCounts } : {}),
    ...(fused ? { easeFused: easeOf(opts.easeFusedLambda ?? opts.easeLambda, false) } : {}),
    ...(users ? { users } : {}),
    ...latent,
  };
}

/**
 * The factorisations of the graphs' options: `als` over each history's scenarios apart, and, when
 * the graphs keep cross-scenario pairs and the items span several scenarios, `alsFused` over whole
 * histories. Empty when switched off.
 */
export function latentOf(
  sequences: readonly ArrayLike<number>[],
  numItems: number,
  scenarioOf: (item: number) => string,
  opts: Pick<GraphOptions, 'als' | 'crossScenario'>,
  signal?: AbortSignal,
): Pick<ItemGraphs, 'als' | 'alsFused'> {
  if (opts.als.factors <= 0) return {};
  const train = (rows: readonly ArrayLike<number>[]) =>
    trainAls(rows, numItems, { ...opts.als, seed: ALS_SEED, ...(signal ? { signal } : {}) });
  const rows: ArrayLike<number>[] = [];
  const scenarios = new Set<string>();
  for (const seq of sequences) {
    const by = new Map<string, number[]>();
    for (let k = 0; k < seq.length; k++) {
      const s = scenarioOf(seq[k]!);
      const list = by.get(s);
      if (list) list.push(seq[k]!);
      else by.set(s, [seq[k]!]);
      scenarios.add(s);
    }
    rows.push(...by.values());
  }
  const als = train(rows);
  // one scenario: the fused model would be the same one
  return opts.crossScenario && scenarios.size > 1 ? { als, alsFused: train(sequences) } : { als };
}

/** adds `scale * weight` of every neighbour of `item` into `into`, remembering touched items */
export function spread(g: Csr, item: number, scale: number, into: Float32Array, touched: number[]): void {
  const end = g.offsets[item + 1]!;
  for (let o = g.offsets[item]!; o < end; o++) {
    const b = g.items[o]!;
    if (into[b] === 0) touched.push(b);
    into[b]! += scale * g.weights[o]!;
  }
}

/**
 * `spread` for several accumulators sharing one touched list: `mark[b]` says b is already in
 * `touched` (whichever accumulator touched it first), so the list holds each item once without a
 * Set over the accumulators' lists afterwards. The list is a preallocated buffer (a query lists
 * ~3,000 items on food-kitchen: a growing array was the largest allocation of a first request);
 * `count` is how many it holds, and the new count is returned.
 */
export function spreadMarked(
  g: Csr,
  item: number,
  scale: number,
  into: Float32Array,
  mark: Uint8Array,
  touched: Int32Array,
  count: number,
): number {
  const end = g.offsets[item + 1]!;
  let c = count;
  for (let o = g.offsets[item]!; o < end; o++) {
    const b = g.items[o]!;
    if (mark[b] === 0) {
      mark[b] = 1;
      touched[c++] = b;
    }
    into[b]! += scale * g.weights[o]!;
  }
  return c;
}

export function edgeWeight(g: Csr, a: number, b: number): number {
  const end = g.offsets[a + 1]!;
  for (let o = g.offsets[a]!; o < end; o++) if (g.items[o] === b) return g.weights[o]!;
  return 0;
}
