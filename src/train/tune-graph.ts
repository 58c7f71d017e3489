/**
 * Chooses the co-occurrence shrinkage on validation cases before the ranker is fitted. Shrinkage
 * decides how much a similarity resting on few shared users is trusted, and the right amount
 * depends on the data (lastfm's dense listening profiles want less than sparse Amazon baskets),
 * so it is measured rather than fixed: NDCG@10 of the co-occurrence evidence alone, full ranking
 * within the target's scenario, for each candidate value.
 */
import type { HistoryEntry } from '../profile/types.ts';
import { buildItemGraphs, type GraphOptions, spread } from './graph.ts';

export interface GraphCase {
  history: readonly HistoryEntry[];
  scenario: string;
  target: number;
  masked: ReadonlySet<number>;
}

export interface ShrinkChoice {
  shrink: number;
  /** NDCG@10 of the co-occurrence evidence alone, per candidate shrinkage */
  ndcg: Record<string, number>;
}

export function chooseShrink(
  sequences: readonly ArrayLike<number>[],
  numItems: number,
  scenarioOf: (item: number) => string,
  base: GraphOptions,
  cases: readonly GraphCase[],
  shrinks: readonly number[],
  signal?: AbortSignal,
): ShrinkChoice {
  const ndcg: Record<string, number> = {};
  let best = { shrink: base.shrink, score: Number.NEGATIVE_INFINITY };
  // recency as the ranker's middle ground: none where the order carries no time
  const decay = base.wholeHistory ? 1 : 0.8;
  const acc = new Float32Array(numItems);
  for (const shrink of shrinks) {
    signal?.throwIfAborted();
    const g = buildItemGraphs(sequences, numItems, scenarioOf, { ...base, shrink, easeItems: 0 }, signal);
    let sum = 0;
    for (const c of cases) {
      const touched: number[] = [];
      let f = 1;
      for (let i = c.history.length - 1; i >= 0; i--, f *= decay) {
        const h = c.history[i]!;
        if (h.weight * f !== 0) spread(g.knn, h.item, h.weight * f, acc, touched);
      }
      const t = acc[c.target]!;
      if (t > 0) {
        let rank = 0;
        for (const i of new Set(touched))
          if (i !== c.target && acc[i]! >= t && !c.masked.has(i) && scenarioOf(i) === c.scenario) rank++;
        if (rank < 10) sum += 1 / Math.log2(rank + 2);
      }
      for (const i of touched) acc[i] = 0;
    }
    const score = cases.length > 0 ? sum / cases.length : 0;
    ndcg[String(shrink)] = Number(score.toFixed(4));
    if (score > best.score) best = { shrink, score };
  }
  return { shrink: best.shrink, ndcg };
}
