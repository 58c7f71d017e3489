/**
 * Fits the ranker's weights on validation queries: listwise, directly on NDCG@10, by coordinate
 * ascent over each query's candidate pool (the union of the top items by every single feature).
 * Shared weights first, then per-scenario weights that start from the shared ones and are kept only
 * where they help that scenario (STAR-style: shared knowledge plus a scenario's own adjustment).
 */

import type { UserProfile } from '../profile/types.ts';
import { FEATURES, NUM_FEATURES, type RankerWeights, type ScoringModel } from '../rank/model.ts';
import { featuresOf, linearScore, prepareQuery } from '../rank/query.ts';

export interface ValidCase {
  profile: UserProfile;
  scenario: string;
  target: number;
  /** items that may not be recommended (already consumed) */
  masked: ReadonlySet<number>;
}

export interface FitRankerOptions {
  decays: readonly number[];
  /** items per feature in each pool */
  poolPerFeature: number;
  rounds: number;
  onProgress?: (done: number, total: number, label: string) => void;
  signal?: AbortSignal;
}

export const DEFAULT_FIT_OPTIONS: FitRankerOptions = {
  decays: [0.5, 0.8, 0.95],
  poolPerFeature: 60,
  rounds: 3,
};

interface Pool {
  scenario: string;
  /** feature rows, NUM_FEATURES per candidate */
  feats: Float32Array;
  size: number;
  /** position of the target in the pool, -1 when absent */
  target: number;
}

function topK(values: Float32Array, k: number): number[] {
  const idx = Array.from(values.keys());
  idx.sort((a, b) => values[b]! - values[a]!);
  return idx.slice(0, k);
}

function buildPools(m: ScoringModel, cases: readonly ValidCase[], per: number, signal?: AbortSignal): Pool[] {
  return cases.map((c, ci) => {
    if (ci % 100 === 0) signal?.throwIfAborted();
    const q = prepareQuery(m, c.profile, { scenario: c.scenario });
    const items = Array.from(m.scenarioItems[q.scenarioCode]!).filter((i) => !c.masked.has(i));
    const all = new Float32Array(items.length * NUM_FEATURES);
    const f = new Float32Array(NUM_FEATURES);
    items.forEach((it, r) => {
      all.set(featuresOf(q, it, f), r * NUM_FEATURES);
    });
    const chosen = new Set<number>();
    const col = new Float32Array(items.length);
    for (let k = 0; k < NUM_FEATURES; k++) {
      for (let r = 0; r < items.length; r++) col[r] = all[r * NUM_FEATURES + k]!;
      for (const r of topK(col, per)) chosen.add(r);
    }
    const rows = [...chosen];
    const feats = new Float32Array(rows.length * NUM_FEATURES);
    rows.forEach((r, p) => {
      feats.set(all.subarray(r * NUM_FEATURES, (r + 1) * NUM_FEATURES), p * NUM_FEATURES);
    });
    return {
      scenario: c.scenario,
      feats,
      size: rows.length,
      target: rows.findIndex((r) => items[r] === c.target),
    };
  });
}

/** mean NDCG@10 of the weights over the pools (ties count against the target) */
export function poolNdcg(pools: readonly Pool[], weights: readonly number[]): number {
  if (pools.length === 0) return 0;
  let sum = 0;
  for (const p of pools) {
    if (p.target < 0) continue;
    const t = linearScore(weights, p.feats.subarray(p.target * NUM_FEATURES, (p.target + 1) * NUM_FEATURES));
    let rank = 0;
    for (let r = 0; r < p.size && rank < 10; r++) {
      if (r === p.target) continue;
      if (linearScore(weights, p.feats.subarray(r * NUM_FEATURES, (r + 1) * NUM_FEATURES)) >= t) rank++;
    }
    if (rank < 10) sum += 1 / Math.log2(rank + 2);
  }
  return sum / pools.length;
}

const STEPS = [0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5];

function ascend(pools: readonly Pool[], start: readonly number[], rounds: number, signal?: AbortSignal) {
  const w = [...start];
  let best = poolNdcg(pools, w);
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    // knnSame stays fixed at 1 as the scale anchor, except when it carries no signal at all
    for (let f = 1; f < NUM_FEATURES; f++) {
      signal?.throwIfAborted();
      const sign = FEATURES[f] === 'negative' ? -1 : 1;
      for (const v of STEPS) {
        const trial = [...w];
        trial[f] = sign * v;
        const s = poolNdcg(pools, trial);
        if (s > best + 1e-9) {
          best = s;
          w[f] = sign * v;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return { weights: w, ndcg: best };
}

export interface FitResult {
  ranker: RankerWeights;
  /** pool NDCG@10 on the valid cases with the fitted weights */
  validNdcg: number;
  /** the same with the default weights, for the record */
  defaultNdcg: number;
}

export function fitRanker(
  m: ScoringModel,
  cases: readonly ValidCase[],
  opts: FitRankerOptions = DEFAULT_FIT_OPTIONS,
): FitResult {
  const start = [1, 0.5, 1, 0.3, 0.3, 0.1, 0, -0.3];
  let best: FitResult | undefined;
  let step = 0;
  const total = opts.decays.length;
  for (const decay of opts.decays) {
    m.ranker = { shared: start, perScenario: {}, decay };
    const pools = buildPools(m, cases, opts.poolPerFeature, opts.signal);
    const defaultNdcg = poolNdcg(pools, start);
    const shared = ascend(pools, start, opts.rounds, opts.signal);
    const perScenario: Record<string, number[]> = {};
    let totalNdcg = 0;
    for (const s of m.scenarios) {
      const mine = pools.filter((p) => p.scenario === s);
      if (mine.length === 0) continue;
      const base = poolNdcg(mine, shared.weights);
      const own = ascend(mine, shared.weights, 1, opts.signal);
      // a scenario keeps its own weights only when they help by a margin, not by noise
      if (own.ndcg > base * 1.01 && mine.length >= 50) {
        perScenario[s] = own.weights;
        totalNdcg += own.ndcg * mine.length;
      } else totalNdcg += base * mine.length;
    }
    const validNdcg = totalNdcg / pools.length;
    if (!best || validNdcg > best.validNdcg) {
      best = { ranker: { shared: shared.weights, perScenario, decay }, validNdcg, defaultNdcg };
    }
    opts.onProgress?.(++step, total, 'ranker fit');
  }
  m.ranker = best!.ranker;
  return best!;
}
