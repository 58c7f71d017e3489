/**
 * Fits the ranker's weights on validation queries: listwise, directly on NDCG@10, by coordinate
 * ascent over each query's candidate pool (the union of the top items by every single feature).
 * Shared weights first, then per-scenario weights that start from the shared ones and are kept only
 * where they help that scenario (STAR-style: shared knowledge plus a scenario's own adjustment).
 */

import { resolveThreads } from '../core/ts-worker.ts';
import type { UserProfile } from '../profile/types.ts';
import { FEATURES, NUM_FEATURES, type RankerWeights, type ScoringModel } from '../rank/model.ts';
import { featuresOf, linearScore, prepareQuery, scoreCandidates } from '../rank/query.ts';
import { PoolWorkers } from './pool-workers.ts';

export interface ValidCase {
  profile: UserProfile;
  scenario: string;
  target: number;
  /**
   * Every held-out item of a multi-target case (lastfm holds out several artists per user),
   * `target` included; absent = `[target]`. The fit then maximises the multi-target NDCG@10 the
   * harness reports instead of the first target's rank alone.
   */
  targets?: readonly number[];
  /** items that may not be recommended (already consumed) */
  masked: ReadonlySet<number>;
}

function targetsOf(c: ValidCase): readonly number[] {
  return c.targets && c.targets.length > 0 ? c.targets : [c.target];
}

/** pool positions of the case's targets other than `target` */
function otherPositions(rows: readonly number[], c: ValidCase): number[] {
  const out: number[] = [];
  for (const t of targetsOf(c)) {
    if (t === c.target) continue;
    const p = rows.indexOf(t);
    if (p >= 0) out.push(p);
  }
  return out;
}

export interface FitRankerOptions {
  decays: readonly number[];
  /** items per feature in each pool */
  poolPerFeature: number;
  rounds: number;
  onProgress?: (done: number, total: number, label: string) => void;
  signal?: AbortSignal;
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

export interface Pool {
  scenario: string;
  items: number[];
  /** feature rows, NUM_FEATURES per candidate */
  feats: Float32Array;
  size: number;
  /** position of the target in the pool, -1 when absent */
  target: number;
  /** positions of the case's other targets present in the pool (multi-target cases) */
  others: number[];
  /** how many targets the case has in all (present in the pool or not) */
  relevant: number;
}

function topK(values: Float32Array, k: number): number[] {
  const idx = Array.from(values.keys());
  idx.sort((a, b) => values[b]! - values[a]!);
  return idx.slice(0, k);
}

/**
 * Candidate pools of every case for every decay. The dense pass over the scenario (text,
 * popularity, context) runs once per case; only the sparse collaborative features change with the
 * decay, so each further decay costs a few hundred feature rows per case.
 */
export function buildPools(
  m: ScoringModel,
  cases: readonly ValidCase[],
  per: number,
  decays: readonly number[],
  signal?: AbortSignal,
  onCase?: (done: number, total: number) => void,
): Pool[][] {
  const out: Pool[][] = decays.map(() => []);
  const f = new Float32Array(NUM_FEATURES);
  // features from the sparse collaborative arrays change with the decay; the rest do not
  const SPARSE = [0, 1, 2, FEATURES.indexOf('ease'), FEATURES.indexOf('easeFused')];
  const DENSE = FEATURES.map((_, k) => k).filter((k) => !SPARSE.includes(k) && FEATURES[k] !== 'knnStrength');
  cases.forEach((c, ci) => {
    if (ci % 50 === 0) {
      signal?.throwIfAborted();
      onCase?.(ci, cases.length);
    }
    m.ranker = { ...m.ranker, decay: decays[0]! };
    const q0 = prepareQuery(m, c.profile, { scenario: c.scenario });
    const items = Array.from(m.scenarioItems[q0.scenarioCode] ?? []).filter((i) => !c.masked.has(i));
    const cols = DENSE.map(() => new Float32Array(items.length));
    items.forEach((it, r) => {
      featuresOf(q0, it, f);
      DENSE.forEach((k, j) => {
        cols[j]![r] = f[k]!;
      });
    });
    const base = new Set<number>();
    for (const col of cols) for (const r of topK(col, per)) base.add(items[r]!);
    decays.forEach((decay, di) => {
      m.ranker = { ...m.ranker, decay };
      const q = di === 0 ? q0 : prepareQuery(m, c.profile, { scenario: c.scenario });
      const set = new Set(base);
      const touched = q.touched.filter((i) => m.scenarioCode[i] === q.scenarioCode && !c.masked.has(i));
      for (const arr of [q.knnSame, q.knnCross, q.trans, q.ease, q.transCross, q.easeFused]) {
        touched
          .filter((i) => arr[i]! > 0)
          .sort((a, b) => arr[b]! - arr[a]! || a - b)
          .slice(0, per)
          .forEach((i) => {
            set.add(i);
          });
      }
      const rows = [...set];
      const feats = new Float32Array(rows.length * NUM_FEATURES);
      rows.forEach((it, p) => {
        feats.set(featuresOf(q, it, f), p * NUM_FEATURES);
      });
      out[di]!.push({
        scenario: c.scenario,
        items: rows,
        feats,
        size: rows.length,
        target: rows.indexOf(c.target),
        others: otherPositions(rows, c),
        relevant: targetsOf(c).length,
      });
    });
  });
  return out;
}

/** mean NDCG@10 of the weights over the pools (ties count against the target) */
export function poolNdcg(pools: readonly Pool[], weights: readonly number[]): number {
  if (pools.length === 0) return 0;
  let sum = 0;
  for (const p of pools) {
    if (p.relevant > 1) {
      sum += multiTargetNdcg(p, weights);
      continue;
    }
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

/** NDCG@10 of a pool with several targets (ties count against each target) */
function multiTargetNdcg(p: Pool, weights: readonly number[]): number {
  const pos = p.target >= 0 ? [p.target, ...p.others] : p.others;
  if (pos.length === 0) return 0;
  const isTarget = new Uint8Array(p.size);
  for (const r of pos) isTarget[r] = 1;
  const s = new Float32Array(p.size);
  for (let r = 0; r < p.size; r++)
    s[r] = linearScore(weights, p.feats.subarray(r * NUM_FEATURES, (r + 1) * NUM_FEATURES));
  let dcg = 0;
  for (const j of pos) {
    const t = s[j]!;
    let rank = 0;
    for (let r = 0; r < p.size && rank < 10; r++) {
      if (r === j) continue;
      // another target ranks above only when strictly higher (or tied and earlier): the targets'
      // own order among themselves does not change the sum
      if (isTarget[r] ? s[r]! > t || (s[r] === t && r < j) : s[r]! >= t) rank++;
    }
    if (rank < 10) dcg += 1 / Math.log2(rank + 2);
  }
  let idcg = 0;
  for (let i = 0; i < Math.min(p.relevant, 10); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

const STEPS = [0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5];

/**
 * Features that carry evidence from scenarios other than the target's: 0 for a single-scenario
 * history, so on single-scenario data and in the no-fusion ablation they never change a score.
 */
export const CROSS_FEATURES: readonly number[] = (
  ['knnCross', 'textFused', 'transCross', 'textRecentFused', 'knnCrossThin', 'easeFused'] as const
).map((f) => FEATURES.indexOf(f));

/**
 * Coordinate ascent of `features` (knnSame stays fixed at 1 as the scale anchor). With `halves`, a
 * step is taken only when it raises the NDCG of the whole and lowers neither half: evidence that
 * helps a few cases of one half by chance is not enough to add a feature.
 */
export function ascend(
  pools: readonly Pool[],
  start: readonly number[],
  rounds: number,
  features: readonly number[],
  halves?: readonly [readonly Pool[], readonly Pool[]],
  signal?: AbortSignal,
) {
  const w = [...start];
  let best = poolNdcg(pools, w);
  let halfBest = halves?.map((h) => poolNdcg(h, w));
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    for (const f of features) {
      if (f === 0) continue;
      signal?.throwIfAborted();
      const sign = FEATURES[f] === 'negative' ? -1 : 1;
      for (const v of STEPS) {
        const trial = [...w];
        trial[f] = sign * v;
        const s = poolNdcg(pools, trial);
        if (s <= best + 1e-9) continue;
        const hs = halves?.map((h) => poolNdcg(h, trial));
        const kept = halfBest;
        if (hs && kept && hs.some((x, i) => x < kept[i]! - 1e-12)) continue;
        best = s;
        halfBest = hs;
        w[f] = sign * v;
        improved = true;
      }
    }
    if (!improved) break;
  }
  return { weights: w, ndcg: best };
}

/**
 * The ranker's weights in two stages: first every feature of the target scenario's own evidence
 * with the cross-scenario features at 0 (the model the target scenario alone would fit), then the
 * cross-scenario features on top, each step checked on both halves of the cases. A fused model so
 * starts from what it would be alone and adds the other scenario only where that holds up.
 */
function stagedAscend(
  pools: readonly Pool[],
  start: readonly number[],
  rounds: number,
  signal?: AbortSignal,
) {
  const own = FEATURES.map((_, k) => k).filter((k) => !CROSS_FEATURES.includes(k));
  const first = ascend(pools, start, rounds, own, undefined, signal);
  const halves: [Pool[], Pool[]] = [pools.filter((_, i) => i % 2 === 0), pools.filter((_, i) => i % 2 === 1)];
  return ascend(pools, first.weights, rounds, CROSS_FEATURES, halves, signal);
}

export interface FitResult {
  ranker: RankerWeights;
  /** pool NDCG@10 on the valid cases with the fitted weights */
  validNdcg: number;
  /** the same with the default weights, for the record */
  defaultNdcg: number;
}

function fitOnPools(
  m: ScoringModel,
  pools: readonly Pool[],
  start: readonly number[],
  rounds: number,
  signal?: AbortSignal,
) {
  const shared = stagedAscend(pools, start, rounds, signal);
  const perScenario: Record<string, number[]> = {};
  let total = 0;
  for (const s of m.scenarios) {
    const mine = pools.filter((p) => p.scenario === s);
    if (mine.length === 0) continue;
    const base = poolNdcg(mine, shared.weights);
    const own = stagedAscend(mine, shared.weights, 1, signal);
    // each target scenario keeps its own weights when they help it at all on 50+ cases: one
    // scenario's own history can be the better evidence where the other's helps elsewhere (kitchen
    // vs food); the ascent starts from the shared weights, so they are never worse on valid
    if (own.ndcg > base && mine.length >= 50) {
      perScenario[s] = own.weights;
      total += own.ndcg * mine.length;
    } else total += base * mine.length;
  }
  return { shared: shared.weights, perScenario, ndcg: pools.length > 0 ? total / pools.length : 0 };
}

/**
 * Pools rebuilt around the fitted ranker: its own top items over the whole scenario join each
 * pool, so the items that would outrank the target under the fitted weights are in the pool and the
 * second fit sees the real competition (the first pools only hold each single feature's top).
 */
export function refinePools(
  m: ScoringModel,
  cases: readonly ValidCase[],
  pools: readonly Pick<Pool, 'items'>[],
  extra: number,
  signal?: AbortSignal,
): Pool[] {
  const f = new Float32Array(NUM_FEATURES);
  return cases.map((c, ci) => {
    if (ci % 50 === 0) signal?.throwIfAborted();
    const q = prepareQuery(m, c.profile, { scenario: c.scenario });
    const items = Array.from(m.scenarioItems[q.scenarioCode] ?? []).filter((i) => !c.masked.has(i));
    const scores = scoreCandidates(q, items);
    const rows = new Set(topK(scores, extra).map((r) => items[r]!));
    for (const t of targetsOf(c)) rows.add(t);
    const old = pools[ci]!;
    // the first pool's items stay: they are each single feature's strongest competitors
    for (const it of old.items) rows.add(it);
    const list = [...rows].filter((i) => !c.masked.has(i) && m.scenarioCode[i] === q.scenarioCode);
    const feats = new Float32Array(list.length * NUM_FEATURES);
    list.forEach((it, p) => {
      feats.set(featuresOf(q, it, f), p * NUM_FEATURES);
    });
    return {
      scenario: c.scenario,
      items: list,
      feats,
      size: list.length,
      target: list.indexOf(c.target),
      others: otherPositions(list, c),
      relevant: targetsOf(c).length,
    };
  });
}

export async function fitRanker(
  m: ScoringModel,
  cases: readonly ValidCase[],
  opts: FitRankerOptions = DEFAULT_FIT_OPTIONS,
): Promise<FitResult> {
  // a worker costs a copy of the model and a second or so to start: not worth it for a few cases
  const threads = Math.min(resolveThreads(opts.threads ?? 1), Math.max(1, Math.floor(cases.length / 20)));
  const workers = threads > 1 ? await PoolWorkers.start(m, threads - 1) : undefined;
  try {
    return await fitWith(m, cases, opts, workers);
  } finally {
    await workers?.close();
  }
}

async function fitWith(
  m: ScoringModel,
  cases: readonly ValidCase[],
  opts: FitRankerOptions,
  workers: PoolWorkers | undefined,
): Promise<FitResult> {
  // the cross-scenario features start at 0: the second stage adds them (see stagedAscend)
  const start = [1, 0, 1, 0.3, 0.3, 0.1, 0, -0.3, 0.2, 0, 0.5, 0, 0, 0, 0, 0, 0, 0];
  let best: (FitResult & { di: number }) | undefined;
  m.ranker = { shared: start, perScenario: {}, decay: opts.decays[0]! };
  const progress = (d: number, t: number) => opts.onProgress?.(d, t, 'candidate pools');
  const allPools = workers
    ? await workers.build(m, cases, opts.poolPerFeature, opts.decays, opts.signal, progress)
    : buildPools(m, cases, opts.poolPerFeature, opts.decays, opts.signal, progress);
  for (const [di, decay] of opts.decays.entries()) {
    const pools = allPools[di]!;
    const defaultNdcg = poolNdcg(pools, start);
    const fit = fitOnPools(m, pools, start, opts.rounds, opts.signal);
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
  m.ranker = best!.ranker;
  const extra = 4 * opts.poolPerFeature;
  const refined = workers
    ? await workers.refine(m, cases, allPools[best!.di]!, extra, opts.signal)
    : refinePools(m, cases, allPools[best!.di]!, extra, opts.signal);
  const before = poolNdcg(refined, best!.ranker.shared);
  const fit = fitOnPools(m, refined, best!.ranker.shared, opts.rounds, opts.signal);
  opts.onProgress?.(1, 1, 'ranker refit');
  const result: FitResult = {
    ranker: { shared: fit.shared, perScenario: fit.perScenario, decay: best!.ranker.decay },
    validNdcg: fit.ndcg,
    defaultNdcg: Math.min(before, best!.defaultNdcg),
  };
  m.ranker = result.ranker;
  return result;
}
