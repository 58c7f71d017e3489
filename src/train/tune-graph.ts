/**
 * Chooses the item graphs' data-dependent settings on validation cases before the ranker is
 * fitted: the co-occurrence shrinkage (how far a similarity resting on few shared users is
 * trusted: lastfm's dense listening profiles want less than sparse Amazon baskets) and EASE's
 * regularisation. Each is measured, not fixed: NDCG@10 of the collaborative evidence alone, full
 * ranking within the target's scenario, history masked, for each candidate value.
 */

import type { Csr } from '../model/csr.ts';
import { buildEase } from '../model/ease.ts';
import {
  countPairs,
  type GraphOptions,
  graphsOf,
  type ItemGraphs,
  type PairCounts,
  spread,
} from '../model/graph.ts';
import type { HistoryEntry } from '../profile/types.ts';

/** graphs built while choosing settings leave the factorisation out (it is built once, after) */
const NO_ALS = { factors: 0, reg: 1, alpha: 1, iters: 1 };

export interface GraphCase {
  history: readonly HistoryEntry[];
  scenario: string;
  target: number;
  masked: ReadonlySet<number>;
}

export interface GraphChoice {
  shrink: number;
  easeLambda: number;
  /** lambda of the cross-scenario EASE (`easeFused`), when the graphs are fused over several scenarios */
  easeFusedLambda?: number;
  /** NDCG@10 of the evidence per candidate value, for the record */
  ndcg: {
    shrink: Record<string, number>;
    easeLambda: Record<string, number>;
    easeFusedLambda?: Record<string, number>;
  };
  /** the graphs built with the chosen values */
  graphs: ItemGraphs;
}

/** recency of the evidence: the ranker's middle ground, none where the order carries no time */
const decayOf = (o: GraphOptions) => (o.wholeHistory ? 1 : 0.8);

/** mean NDCG@10 of the target under `score`, which fills `acc` and lists the items it touched */
function evidenceNdcg(
  cases: readonly GraphCase[],
  numItems: number,
  scenarioOf: (item: number) => string,
  score: (c: GraphCase, acc: Float32Array, touched: number[]) => void,
): number {
  const acc = new Float32Array(numItems);
  let sum = 0;
  for (const c of cases) {
    const touched: number[] = [];
    score(c, acc, touched);
    const t = acc[c.target]!;
    if (t > 0) {
      let rank = 0;
      for (const i of new Set(touched))
        if (i !== c.target && acc[i]! >= t && !c.masked.has(i) && scenarioOf(i) === c.scenario) rank++;
      if (rank < 10) sum += 1 / Math.log2(rank + 2);
    }
    for (const i of touched) acc[i] = 0;
  }
  return cases.length > 0 ? sum / cases.length : 0;
}

function spreadHistory(
  g: Csr,
  c: GraphCase,
  decay: number,
  weighted: boolean,
  into: Float32Array,
  touched: number[],
) {
  let f = 1;
  for (let i = c.history.length - 1; i >= 0; i--, f *= decay) {
    const h = c.history[i]!;
    if (h.weight > 0) spread(g, h.item, weighted ? h.weight * f : f, into, touched);
    else if (h.weight < 0 && weighted) spread(g, h.item, h.weight * f, into, touched);
  }
}

function maxIn(a: Float32Array, touched: readonly number[], ok: (i: number) => boolean): number {
  let m = 0;
  for (const i of touched) if (ok(i) && a[i]! > m) m = a[i]!;
  return m > 0 ? m : 1;
}

/**
 * The EASE lambda whose model adds most to the co-occurrence evidence `knn` on `cases` (each
 * max-normalised within the target's scenario); `perScenario` builds each scenario's block alone.
 */
function chooseEase(
  sequences: readonly ArrayLike<number>[],
  numItems: number,
  scenarioOf: (item: number) => string,
  base: GraphOptions,
  knn: Csr,
  cases: readonly GraphCase[],
  lambdas: readonly number[],
  perScenario: boolean,
  signal?: AbortSignal,
): { lambda: number; ease: Csr; ndcg: Record<string, number> } | undefined {
  const decay = decayOf(base);
  const ndcg: Record<string, number> = {};
  let best: { lambda: number; score: number; ease: Csr } | undefined;
  const easeAcc = new Float32Array(numItems);
  for (const lambda of base.easeItems > 0 ? lambdas : []) {
    const ease = buildEase(sequences, numItems, {
      items: base.easeItems,
      lambda,
      neighbours: 2 * base.maxNeighbors,
      ...(perScenario ? { scenarioOf } : {}),
      ...(signal ? { signal } : {}),
    });
    const score = evidenceNdcg(cases, numItems, scenarioOf, (c, acc, touched) => {
      spreadHistory(knn, c, decay, true, acc, touched);
      const te: number[] = [];
      spreadHistory(ease, c, decay, false, easeAcc, te);
      const inScenario = (i: number) => scenarioOf(i) === c.scenario;
      const mk = maxIn(acc, touched, inScenario);
      const me = maxIn(easeAcc, te, inScenario);
      for (const i of new Set(touched)) acc[i]! /= mk;
      for (const i of te) {
        if (acc[i] === 0) touched.push(i);
        acc[i]! += easeAcc[i]! / me;
        easeAcc[i] = 0;
      }
    });
    ndcg[String(lambda)] = Number(score.toFixed(4));
    if (!best || score > best.score) best = { lambda, score, ease };
  }
  return best ? { lambda: best.lambda, ease: best.ease, ndcg } : undefined;
}

/** the settings of graphs without cross-scenario pairs, or of one scenario's data */
function chooseSingle(
  sequences: readonly ArrayLike<number>[],
  numItems: number,
  scenarioOf: (item: number) => string,
  base: GraphOptions,
  cases: readonly GraphCase[],
  grid: { shrinks: readonly number[]; easeLambdas: readonly number[] },
  signal?: AbortSignal,
  counted?: PairCounts,
): GraphChoice {
  const decay = decayOf(base);
  const ndcg = { shrink: {} as Record<string, number>, easeLambda: {} as Record<string, number> };
  let best: { shrink: number; score: number; graphs: ItemGraphs } | undefined;
  // the shrinkage only normalises the pairs: they are counted once for every candidate
  const pc = counted ?? countPairs(sequences, numItems, scenarioOf, base, signal);
  for (const shrink of grid.shrinks) {
    signal?.throwIfAborted();
    const g = graphsOf(pc, sequences, scenarioOf, { ...base, shrink, easeItems: 0, als: NO_ALS }, signal);
    const score = evidenceNdcg(cases, numItems, scenarioOf, (c, acc, touched) =>
      spreadHistory(g.knn, c, decay, true, acc, touched),
    );
    ndcg.shrink[String(shrink)] = Number(score.toFixed(4));
    if (!best || score > best.score) best = { shrink, score, graphs: g };
  }
  const graphs = best!.graphs;
  // EASE is judged beside the co-occurrence evidence it is meant to complement
  const ease = chooseEase(
    sequences,
    numItems,
    scenarioOf,
    base,
    graphs.knn,
    cases,
    grid.easeLambdas,
    true,
    signal,
  );
  return {
    shrink: best!.shrink,
    easeLambda: ease?.lambda ?? base.easeLambda,
    ndcg: { ...ndcg, easeLambda: ease?.ndcg ?? {} },
    graphs: ease ? { ...graphs, ease: ease.ease } : graphs,
  };
}

/**
 * Graph settings chosen on validation cases. Graphs fused over several scenarios keep each
 * scenario's own evidence as that scenario alone would have it: the co-occurrence shrinkage and the
 * per-scenario EASE lambda are chosen on the cases' own-scenario histories over graphs without
 * cross-scenario pairs (what the model of each scenario alone chooses), and only the lambda of the
 * cross-scenario EASE (`easeFused`) is chosen on the whole histories. The graphs returned carry no
 * latent model (it has no setting chosen here: `latentOf` builds it with the options as given).
 */
export function chooseGraphSettings(
  sequences: readonly ArrayLike<number>[],
  numItems: number,
  scenarioOf: (item: number) => string,
  base: GraphOptions,
  cases: readonly GraphCase[],
  grid: { shrinks: readonly number[]; easeLambdas: readonly number[] },
  signal?: AbortSignal,
): GraphChoice {
  const scenarios = new Set<string>();
  for (let i = 0; i < numItems && scenarios.size < 2; i++) scenarios.add(scenarioOf(i));
  if (!base.crossScenario || scenarios.size < 2)
    return chooseSingle(sequences, numItems, scenarioOf, base, cases, grid, signal);
  const ownCases = cases.map((c) => ({ ...c, history: c.history.filter((h) => h.scenario === c.scenario) }));
  // counted with cross-scenario pairs once: the graphs without them leave those pairs out
  const pc = countPairs(sequences, numItems, scenarioOf, base, signal);
  const alone = chooseSingle(
    sequences,
    numItems,
    scenarioOf,
    { ...base, crossScenario: false },
    ownCases,
    grid,
    signal,
    pc,
  );
  const fused = graphsOf(
    pc,
    sequences,
    scenarioOf,
    { ...base, shrink: alone.shrink, easeItems: 0, als: NO_ALS },
    signal,
  );
  const easeFused = chooseEase(
    sequences,
    numItems,
    scenarioOf,
    base,
    fused.knn,
    cases,
    grid.easeLambdas,
    false,
    signal,
  );
  return {
    shrink: alone.shrink,
    easeLambda: alone.easeLambda,
    ...(easeFused ? { easeFusedLambda: easeFused.lambda } : {}),
    ndcg: { ...alone.ndcg, ...(easeFused ? { easeFusedLambda: easeFused.ndcg } : {}) },
    graphs: {
      ...fused,
      ease: alone.graphs.ease,
      ...(easeFused ? { easeFused: easeFused.ease } : {}),
    },
  };
}
