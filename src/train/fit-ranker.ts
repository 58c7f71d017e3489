/**
 * Fits the ranker's weights on validation queries: listwise, directly on NDCG@10, by coordinate
 * ascent over each query's candidate pool (the union of the top items by every single feature).
 * Shared weights first, then per-scenario weights that start from the shared ones and are kept only
 * where they help that scenario (STAR-style: shared knowledge plus a scenario's own adjustment).
 *
 * The model is read, never written: the fit returns the ranker and the caller puts it in place.
 * The parts: ./fit/pools.ts (candidate pools), ./fit/objective.ts (pool and full-ranking
 * NDCG@10), ./fit/ascent.ts (coordinate ascent, stage 1 and stage 2), ./fit/accept.ts (the
 * full-ranking check of the cross-scenario weights), ./pool-workers.ts (pools on several threads).
 */

import { resolveThreads } from '../core/ts-worker.ts';
import { FEATURES, type FeatureName, type RankerWeights, type ScoringModel } from '../model/scoring.ts';
import { acceptCross, type CrossCheck, MIN_CHECK_CASES } from './fit/accept.ts';
import { fitCross, fitOwn, MIN_BUCKET_CASES } from './fit/ascent.ts';
import { baggedCross, baggedOwn } from './fit/bagging.ts';
import { poolNdcg } from './fit/objective.ts';
import { buildPools, ownView, refinePools, type ValidCase, withRanker } from './fit/pools.ts';
import { bucketOf, type CaseSplit, canonicalOrder, splitCases } from './fit/split.ts';
import { PoolWorkers } from './pool-workers.ts';

export { ascend } from './fit/ascent.ts';
export { poolNdcg } from './fit/objective.ts';
export {
  buildPools,
  CROSS_FEATURES,
  ownView,
  type Pool,
  type ValidCase,
} from './fit/pools.ts';

export interface FitRankerOptions {
  decays: readonly number[];
  /** items per feature in each pool */
  poolPerFeature: number;
  rounds: number;
  onProgress?: (done: number, total: number, label: string) => void;
  signal?: AbortSignal;
  /** fewest fitting cases of a (scenario, history bucket) for it to get cross weights of its own */
  minBucketCases?: number;
  /** fewest check cases for a verdict on cross-scenario weights; fewer = `undecided` (MIN_CHECK_CASES) */
  minCheckCases?: number;
  /** seeds the split of the cases into fitting and check cases (`train.seed`) */
  seed?: number;
  /**
   * > 1: both ascent stages are fitted on this many bootstrap resamples of their cases and the
   * weights averaged (fit/bagging.ts); the decay and the pools are chosen once, on all cases, and
   * the full-ranking check judges the averaged cross-scenario weights. 0 or 1 = one fit.
   */
  bags?: number;
  /**
   * threads building the candidate pools (this one + threads - 1 workers, each with a copy of the
   * model); 0 = one per core. The pools, and so the fit, are the same for any count.
   */
  threads?: number;
}

export const DEFAULT_FIT_OPTIONS: FitRankerOptions = {
  // decay 1 (no recency) matters where the order carries no time, e.g. lastfm listening counts
  decays: [0.5, 0.8, 0.95, 1],
  poolPerFeature: 60,
  rounds: 3,
};

export interface FitResult {
  ranker: RankerWeights;
  /** pool NDCG@10 on the valid cases with the fitted weights */
  validNdcg: number;
  /** the same with the default weights, for the record */
  defaultNdcg: number;
  /**
   * Per scenario (and `shared`), full-ranking NDCG@10 on the valid cases of the weights without and
   * with the cross-scenario features, and whether the latter were kept; empty when the
   * cross-scenario stage changed nothing (one scenario, or the model of each scenario alone).
   */
  crossCheck: CrossCheck;
  /**
   * Per scenario and per `scenario|bucket`: how many cases the cross-scenario weights were fitted
   * on and how many checked them (fit/split.ts draws the split by seed within each).
   */
  split: CaseSplit['counts'];
}

/** where the ascent starts, and the "default weights" FitResult.defaultNdcg reports; unnamed = 0 */
const START_WEIGHTS: Partial<Record<FeatureName, number>> = {
  knnSame: 1,
  trans: 1,
  textInterest: 0.3,
  textRecent: 0.3,
  popularity: 0.1,
  negative: -0.3,
  textLast: 0.2,
  ease: 0.5,
};
const START: readonly number[] = FEATURES.map((f) => START_WEIGHTS[f] ?? 0);

/**
 * The fitted ranker for `m` on `cases`. `m` is not modified (its own ranker is not used); assign
 * the result's `ranker` to serve with it.
 */
export async function fitRanker(
  m: ScoringModel,
  given: readonly ValidCase[],
  opts: FitRankerOptions = DEFAULT_FIT_OPTIONS,
): Promise<FitResult> {
  // the fit is a function of the set of cases: the same weights whatever order they came in
  const cases = canonicalOrder(given);
  // a worker costs a copy of the model and a second or so to start: not worth it for a few cases
  const threads = Math.min(resolveThreads(opts.threads ?? 1), Math.max(1, Math.floor(cases.length / 20)));
  const workers = threads > 1 ? await PoolWorkers.start(m, threads - 1) : undefined;
  try {
    return await fitWith(m, cases, opts, workers);
  } finally {
    await workers?.close();
  }
}

/**
 * The ranker's weights in two stages. Stage 1 fits every feature of the target scenario's own
 * evidence on the pools' own rows with the cross-scenario features at 0: the same pools, decay and
 * weights as the model of each scenario alone (given the same own features). Stage 2 adds the
 * cross-scenario features on the whole pools of the fitting half of the cases, each step checked on
 * both halves of them, and keeps them per scenario only when they also win on the full ranking of
 * the check half (the halves drawn by seed within each scenario and history bucket, fit/split.ts).
 * A fused model so starts from what it would be alone and adds the other scenario only where that
 * holds up.
 */
async function fitWith(
  m: ScoringModel,
  cases: readonly ValidCase[],
  opts: FitRankerOptions,
  workers: PoolWorkers | undefined,
): Promise<FitResult> {
  const start = [...START];
  let best: { ranker: RankerWeights; validNdcg: number; defaultNdcg: number; di: number } | undefined;
  const atStart = withRanker(m, { shared: start, perScenario: {}, decay: opts.decays[0]! });
  const poolsOf = (of: readonly ValidCase[], decays: readonly number[], label: string) => {
    const progress = (d: number, t: number) => opts.onProgress?.(d, t, label);
    if (of.length === 0) return Promise.resolve(decays.map(() => []));
    return workers
      ? workers.build(atStart, of, opts.poolPerFeature, decays, opts.signal, progress)
      : Promise.resolve(buildPools(atStart, of, opts.poolPerFeature, decays, opts.signal, progress));
  };
  // the copies (cold-start and thin-history) fit their history bucket alone (stage 2), never the
  // own weights: their pools are built at the decay stage 1 chooses only
  const warmCases = cases.filter((c) => !c.copy);
  const warmPools = await poolsOf(warmCases, opts.decays, 'candidate pools');
  for (const [di, decay] of opts.decays.entries()) {
    const pools = warmPools[di]!;
    const defaultNdcg = poolNdcg(pools.map(ownView), start);
    const fit = fitOwn(m.scenarios, pools, start, opts.rounds, opts.signal);
    if (!best || fit.ndcg > best.validNdcg) {
      best = {
        ranker: { shared: fit.shared, perScenario: fit.perScenario, decay },
        validNdcg: fit.ndcg,
        defaultNdcg,
        di,
      };
    }
    opts.onProgress?.(di + 1, opts.decays.length, 'ranker fit');
  }
  // a pool's dense columns pick their candidates at the first decay: the copies' pools are built at
  // it too (as they would be beside the others), and read at the chosen one (the last built)
  const di = best!.di;
  const copyPools = await poolsOf(
    cases.filter((c) => c.copy),
    di === 0 ? [opts.decays[0]!] : [opts.decays[0]!, opts.decays[di]!],
    'candidate pools of the copied cases',
  );
  const copyAt = copyPools[copyPools.length - 1]!;
  let w = 0;
  let k = 0;
  // back in the cases' order
  const chosen = cases.map((c) => (c.copy ? copyAt[k++]! : warmPools[di]![w++]!));
  const atBest = withRanker(m, best!.ranker);
  const extra = 4 * opts.poolPerFeature;
  const refining = (d: number, t: number) =>
    opts.onProgress?.(d, t, 'candidate pools around the fitted weights');
  const refined = workers
    ? await workers.refine(atBest, cases, chosen, extra, opts.signal, refining)
    : refinePools(atBest, cases, chosen, extra, opts.signal, refining);
  const refinedWarm = refined.filter((_, i) => !cases[i]!.copy);
  const before = poolNdcg(refinedWarm.map(ownView), best!.ranker.shared);
  const bags = Math.max(1, opts.bags ?? 1);
  opts.onProgress?.(0, 1, 'ranker refit');
  const own =
    bags > 1
      ? baggedOwn(
          m.scenarios,
          refinedWarm,
          best!.ranker.shared,
          opts.rounds,
          bags,
          opts.seed ?? 0,
          opts.signal,
        )
      : fitOwn(m.scenarios, refinedWarm, best!.ranker.shared, opts.rounds, opts.signal);
  opts.onProgress?.(1, 1, 'ranker refit');
  const decay = best!.ranker.decay;
  // stage 2 is fitted on the fitting cases and judged on the check cases, which it has not seen:
  // judged on the cases it was fitted on, it won on valid and lost on test (docs/results.md)
  const buckets = cases.map(bucketOf);
  const split = splitCases(cases, opts.seed ?? 0);
  // `at`: positions in split.fit of the cases stage 2 is fitted on (a bootstrap resample when bagged)
  const crossOn = (at: readonly number[]) =>
    fitCross(
      m.scenarios,
      at.map((j) => refined[split.fit[j]!]!),
      at.map((j) => buckets[split.fit[j]!]!),
      at.map((j) => split.fitHalf[j]!),
      at.map((j) => cases[split.fit[j]!]!.copy === true),
      own,
      opts.rounds,
      opts.minBucketCases ?? MIN_BUCKET_CASES,
      opts.signal,
    );
  const cross =
    bags > 1
      ? baggedCross(split.fit.length, bags, opts.seed ?? 0, crossOn)
      : crossOn(split.fit.map((_, j) => j));
  const accepted = await acceptCross(
    withRanker(m, { shared: own.shared, perScenario: own.perScenario, decay }),
    cases,
    split,
    own,
    cross,
    opts.minCheckCases ?? MIN_CHECK_CASES,
    opts.signal,
    opts.onProgress,
    workers ? (at, of, weights, signal, onCase) => workers.check(at, of, weights, signal, onCase) : undefined,
  );
  const ranker: RankerWeights = { ...accepted.ranker, decay };
  const warmAt = refined.map((_, i) => i).filter((i) => !cases[i]!.copy);
  const validNdcg =
    warmAt.length > 0
      ? warmAt.reduce((s, i) => {
          const p = refined[i]!;
          return (
            s +
            poolNdcg([p], ranker.perScenario[buckets[i]!] ?? ranker.perScenario[p.scenario] ?? ranker.shared)
          );
        }, 0) / warmAt.length
      : 0;
  return {
    ranker,
    validNdcg: accepted.unchanged ? own.ndcg : validNdcg,
    defaultNdcg: Math.min(before, best!.defaultNdcg),
    crossCheck: accepted.check,
    split: split.counts,
  };
}
