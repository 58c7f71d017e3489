/**
 * What the ranker fit maximises: NDCG@10 of the linear ranker's weights over candidate pools (ties
 * count against the target), and the same over each case's whole scenario for the final check.
 */

import { NUM_FEATURES, type ScoringModel } from '../../model/scoring.ts';
import { fullPool, type Pool, type ValidCase } from './pools.ts';

/**
 * linearScore (src/rank/features.ts) of row `r` of a pool's feature rows, read in place: the same
 * sum in the same order, without a view per row (the ascent scores millions of rows)
 */
function rowScore(weights: readonly number[], feats: Float32Array, r: number): number {
  const o = r * NUM_FEATURES;
  let s = 0;
  for (let i = 0; i < NUM_FEATURES; i++) s += (weights[i] ?? 0) * feats[o + i]!;
  return s;
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
    const t = rowScore(weights, p.feats, p.target);
    let rank = 0;
    for (let r = 0; r < p.size && rank < 10; r++) {
      if (r === p.target) continue;
      if (rowScore(weights, p.feats, r) >= t) rank++;
    }
    if (rank < 10) sum += 1 / Math.log2(rank + 2);
  }
  return sum / pools.length;
}

/** NDCG@10 of a pool with several targets (ties count against each target) */
function multiTargetNdcg(p: Pool, weights: readonly number[]): number {
  const s = new Float32Array(p.size);
  for (let r = 0; r < p.size; r++) s[r] = rowScore(weights, p.feats, r);
  return multiTargetOf(p, s);
}

/** NDCG@10 of a pool with several targets, its rows scored `s` */
function multiTargetOf(p: Pool, s: Float32Array): number {
  const pos = p.target >= 0 ? [p.target, ...p.others] : p.others;
  if (pos.length === 0) return 0;
  const isTarget = new Uint8Array(p.size);
  for (const r of pos) isTarget[r] = 1;
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

/**
 * The pools' row scores under one set of weights, kept so that a trial which moves one feature's
 * weight re-scores a row with one multiply-add instead of a sum over every feature: coordinate
 * ascent tries each step of each feature on every pool. A trial's score is the kept score plus the
 * move times the feature (equal to the full sum up to the last bits of rounding); `rescore` after
 * a step is taken keeps the scores exact sums.
 */
export class PoolScores {
  private readonly scores: Float64Array[];
  private scratch = new Float32Array(0);

  constructor(
    readonly pools: readonly Pool[],
    weights: readonly number[],
  ) {
    this.scores = pools.map((p) => new Float64Array(p.size));
    this.rescore(weights);
  }

  /** every row scored under `weights` */
  rescore(weights: readonly number[]): void {
    this.pools.forEach((p, i) => {
      const out = this.scores[i]!;
      for (let r = 0; r < p.size; r++) out[r] = rowScore(weights, p.feats, r);
    });
  }

  /** NDCG@10 of pool `i` (as poolNdcg counts it) with feature `f`'s weight moved by `delta` */
  ndcg(i: number, f: number, delta: number): number {
    const p = this.pools[i]!;
    const base = this.scores[i]!;
    const feats = p.feats;
    if (p.relevant > 1) {
      if (this.scratch.length < p.size) this.scratch = new Float32Array(p.size);
      const s = this.scratch.subarray(0, p.size);
      for (let r = 0; r < p.size; r++) s[r] = base[r]! + delta * feats[r * NUM_FEATURES + f]!;
      return multiTargetOf(p, s);
    }
    if (p.target < 0) return 0;
    const t = base[p.target]! + delta * feats[p.target * NUM_FEATURES + f]!;
    let rank = 0;
    for (let r = 0; r < p.size && rank < 10; r++) {
      if (r === p.target) continue;
      if (base[r]! + delta * feats[r * NUM_FEATURES + f]! >= t) rank++;
    }
    return rank < 10 ? 1 / Math.log2(rank + 2) : 0;
  }
}

/**
 * NDCG@10 of each case under each of its weight sets, ranking every item of the case's scenario
 * (history masked) at the model's decay: the score the evaluation reports, free of the pools'
 * choice of competitors. Features are computed once per case; `weights[i]` holds the sets to score
 * case i with.
 */
export function fullRankNdcg(
  m: ScoringModel,
  cases: readonly ValidCase[],
  weights: readonly (readonly (readonly number[])[])[],
  signal?: AbortSignal,
  onCase?: (done: number, total: number) => void,
): number[][] {
  const f = new Float32Array(NUM_FEATURES);
  return cases.map((c, ci) => {
    if (ci % 50 === 0) {
      signal?.throwIfAborted();
      onCase?.(ci, cases.length);
    }
    const pool = fullPool(m, c, f);
    return weights[ci]!.map((w) => poolNdcg([pool], w));
  });
}
