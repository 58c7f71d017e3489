/**
 * What the ranker fit maximises: NDCG@10 of the linear ranker's weights over candidate pools (ties
 * count against the target), and the same over each case's whole scenario for the final check.
 */

import { NUM_FEATURES, type ScoringModel } from '../../model/scoring.ts';
import { linearScore } from '../../rank/query.ts';
import { fullPool, type Pool, type ValidCase } from './pools.ts';

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

/**
 * NDCG@10 of each case under each of its weight sets, ranking every item of the case's scenario
 * (history masked) at the model's decay: the score the evaluation reports, free of the pools'
 * choice of competitors. Features are computed once per case; `weights` gives the sets to score
 * them with.
 */
export function fullRankNdcg(
  m: ScoringModel,
  cases: readonly ValidCase[],
  weights: (c: ValidCase) => readonly (readonly number[])[],
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
    return weights(c).map((w) => poolNdcg([pool], w));
  });
}
