/**
 * Chooses the item graphs' data-dependent settings on validation cases before the ranker is
 * fitted: the co-occurrence shrinkage (how far a similarity resting on few shared users is
 * trusted: lastfm's dense listening profiles want less than sparse Amazon baskets) and EASE's
 * regularisation. Each is measured, not fixed: NDCG@10 of the collaborative evidence alone, full
 * ranking within the target's scenario, history masked, for each candidate value.
 */
import type { HistoryEntry } from '../profile/types.ts';
import { buildEase } from './ease.ts';
import { buildItemGraphs, type Csr, type GraphOptions, type ItemGraphs, spread } from './graph.ts';

export interface GraphCase {
  history: readonly HistoryEntry[];
  scenario: string;
  target: number;
  masked: ReadonlySet<number>;
}

export interface GraphChoice {
  shrink: number;
  easeLambda: number;
  /** NDCG@10 of the evidence per candidate value, for the record */
  ndcg: { shrink: Record<string, number>; easeLambda: Record<string, number> };
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

export function chooseGraphSettings(
  sequences: readonly ArrayLike<number>[],
  numItems: number,
  scenarioOf: (item: number) => string,
  base: GraphOptions,
  cases: readonly GraphCase[],
  grid: { shrinks: readonly number[]; easeLambdas: readonly number[] },
  signal?: AbortSignal,
): GraphChoice {
  const decay = decayOf(base);
  const ndcg = { shrink: {} as Record<string, number>, easeLambda: {} as Record<string, number> };
  let best: { shrink: number; score: number; graphs: ItemGraphs } | undefined;
  for (const shrink of grid.shrinks) {
    signal?.throwIfAborted();
    const g = buildItemGraphs(sequences, numItems, scenarioOf, { ...base, shrink, easeItems: 0 }, signal);
    const score = evidenceNdcg(cases, numItems, scenarioOf, (c, acc, touched) =>
      spreadHistory(g.knn, c, decay, true, acc, touched),
    );
    ndcg.shrink[String(shrink)] = Number(score.toFixed(4));
    if (!best || score > best.score) best = { shrink, score, graphs: g };
  }
  const graphs = best!.graphs;
  // EASE is judged beside the co-occurrence evidence it is meant to complement, each max-normalised
  let bestEase: { lambda: number; score: number; ease: Csr } | undefined;
  const easeAcc = new Float32Array(numItems);
  for (const lambda of base.easeItems > 0 ? grid.easeLambdas : []) {
    const ease = buildEase(sequences, numItems, {
      items: base.easeItems,
      lambda,
      neighbours: 2 * base.maxNeighbors,
      ...(base.crossScenario ? {} : { scenarioOf }),
      ...(signal ? { signal } : {}),
    });
    const score = evidenceNdcg(cases, numItems, scenarioOf, (c, acc, touched) => {
      spreadHistory(graphs.knn, c, decay, true, acc, touched);
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
    ndcg.easeLambda[String(lambda)] = Number(score.toFixed(4));
    if (!bestEase || score > bestEase.score) bestEase = { lambda, score, ease };
  }
  return {
    shrink: best!.shrink,
    easeLambda: bestEase?.lambda ?? base.easeLambda,
    ndcg,
    graphs: bestEase ? { ...graphs, ease: bestEase.ease } : graphs,
  };
}
