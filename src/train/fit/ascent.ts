/**
 * Coordinate ascent of the ranker's weights on pool NDCG@10, and its two stages: the target
 * scenario's own evidence (shared weights, then per scenario), and the cross-scenario features on
 * top of them (shared, per scenario, per target-history bucket), each step guarded by both halves
 * of the cases.
 */

import { FEATURES, historyBucketKey, type RankerWeights } from '../../model/scoring.ts';
import { PoolScores, poolNdcg } from './objective.ts';
import { CROSS_FEATURES, ownView, type Pool } from './pools.ts';
import { halvesBy } from './split.ts';

const STEPS = [0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5];

/**
 * Coordinate ascent of `features` (knnSame stays fixed at 1 as the scale anchor). With `half` (pool
 * i's half), a step is taken only when it raises the NDCG of the whole and lowers neither half:
 * evidence that helps a few cases of one half by chance is not enough to add a feature.
 */
export function ascend(
  pools: readonly Pool[],
  start: readonly number[],
  rounds: number,
  features: readonly number[],
  half?: readonly (0 | 1)[],
  signal?: AbortSignal,
) {
  const w = [...start];
  const scores = new PoolScores(pools, w);
  // each pool's NDCG@10 under the trial, and the means over the whole and over each half, summed
  // in the pools' order as poolNdcg sums them
  const per = new Float64Array(pools.length);
  const all = pools.map((_, i) => i);
  const halfAt = half && halvesBy(all, half);
  const trial = (f: number, delta: number) => {
    for (let i = 0; i < pools.length; i++) per[i] = scores.ndcg(i, f, delta);
  };
  const meanOf = (at: readonly number[]) => {
    let sum = 0;
    for (const i of at) sum += per[i]!;
    return at.length > 0 ? sum / at.length : 0;
  };
  trial(0, 0);
  let best = meanOf(all);
  let halfBest = halfAt?.map(meanOf);
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    for (const f of features) {
      if (FEATURES[f] === 'knnSame') continue;
      signal?.throwIfAborted();
      const sign = FEATURES[f] === 'negative' ? -1 : 1;
      for (const v of STEPS) {
        const delta = sign * v - w[f]!;
        // the weights as they are score `best`, which no trial beats by equalling it
        if (delta === 0) continue;
        trial(f, delta);
        const s = meanOf(all);
        if (s <= best + 1e-9) continue;
        const hs = halfAt?.map(meanOf);
        const kept = halfBest;
        if (hs && kept && hs.some((x, i) => x < kept[i]! - 1e-12)) continue;
        best = s;
        halfBest = hs;
        w[f] = sign * v;
        scores.rescore(w);
        improved = true;
      }
    }
    if (!improved) break;
  }
  return { weights: w, ndcg: best };
}

/** own features first, every feature the model alone has (see CROSS_FEATURES) */
const OWN_FEATURES: readonly number[] = FEATURES.map((_, k) => k).filter((k) => !CROSS_FEATURES.includes(k));

/**
 * Stage 1, the target scenario's own evidence: the shared weights and per-scenario weights that
 * start from them, kept only where they help that scenario on 50+ cases (STAR-style: shared
 * knowledge plus a scenario's own adjustment). On the pools' own rows with the cross-scenario
 * features at 0, this is exactly the fit of the model of each scenario alone.
 */
export function fitOwn(
  scenarios: readonly string[],
  pools: readonly Pool[],
  start: readonly number[],
  rounds: number,
  signal?: AbortSignal,
) {
  const views = pools.map(ownView);
  const shared = ascend(views, start, rounds, OWN_FEATURES, undefined, signal);
  const perScenario: Record<string, number[]> = {};
  let total = 0;
  for (const s of scenarios) {
    const mine = views.filter((p) => p.scenario === s);
    if (mine.length === 0) continue;
    const base = poolNdcg(mine, shared.weights);
    const own = ascend(mine, shared.weights, 1, OWN_FEATURES, undefined, signal);
    // one scenario's own history can be the better evidence where the other's helps elsewhere
    // (kitchen vs food); the ascent starts from the shared weights, so they are never worse on valid
    if (own.ndcg > base && mine.length >= 50) {
      perScenario[s] = own.weights;
      total += own.ndcg * mine.length;
    } else total += base * mine.length;
  }
  return { shared: shared.weights, perScenario, ndcg: views.length > 0 ? total / views.length : 0 };
}

const EVERY_FEATURE: readonly number[] = FEATURES.map((_, k) => k);

/** default of FitRankerOptions.minBucketCases (the fitting cases' two guard halves: ~50 each) */
export const MIN_BUCKET_CASES = 100;

/**
 * Stage 2, the cross-scenario features on top of stage 1's weights (shared and per scenario), on
 * the whole pools, each step kept only when it lowers neither half of the cases (`half[i]`, drawn
 * per stratum by splitCases). Then, per (scenario, target-history bucket) with enough cases
 * (`buckets[i]` = historyBucketKey of pool i), the cross features again from the scenario's stage-2
 * weights on that bucket's pools alone (every feature in the bucket of no target-scenario history,
 * which has no own evidence to keep). Pools with `copy[i]` (cold-start and thin-history copies)
 * count in their bucket only.
 */
export function fitCross(
  scenarios: readonly string[],
  pools: readonly Pool[],
  buckets: readonly string[],
  half: readonly (0 | 1)[],
  copy: readonly boolean[],
  own: Pick<RankerWeights, 'shared' | 'perScenario'>,
  rounds: number,
  minBucketCases: number,
  signal?: AbortSignal,
) {
  const ascendOn = (
    keep: (i: number) => boolean,
    start: readonly number[],
    features: readonly number[] = CROSS_FEATURES,
  ) => {
    const at = pools.map((_, i) => i).filter(keep);
    return ascend(
      at.map((i) => pools[i]!),
      start,
      rounds,
      features,
      at.map((i) => half[i]!),
      signal,
    ).weights;
  };
  const shared = ascendOn((i) => !copy[i], own.shared);
  const perScenario: Record<string, number[]> = {};
  for (const s of scenarios) {
    if (!pools.some((p, i) => p.scenario === s && !copy[i])) continue;
    perScenario[s] = ascendOn((i) => pools[i]!.scenario === s && !copy[i], own.perScenario[s] ?? own.shared);
  }
  const perBucket: Record<string, number[]> = {};
  if (scenarios.length > 1) {
    for (const key of [...new Set(buckets)].sort()) {
      const n = buckets.filter((b) => b === key).length;
      if (n < minBucketCases) continue;
      const s = key.slice(0, key.lastIndexOf('|'));
      // users with no history in the scenario have none of its own evidence to keep: their bucket
      // weighs every feature they have (popularity, context, the sequential model over the other
      // scenarios' history, the cross-scenario features)
      const features = key === historyBucketKey(s, 0) ? EVERY_FEATURE : CROSS_FEATURES;
      perBucket[key] = ascendOn((i) => buckets[i] === key, perScenario[s] ?? shared, features);
    }
  }
  return { shared, perScenario, perBucket };
}
