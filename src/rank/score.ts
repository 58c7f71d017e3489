/**
 * The ranker's linear score of candidates, in two parts: the context-free part (every feature but
 * `context`), which depends on the profile, the scenario and the model only and so is kept across
 * a profile's requests, and the request's context. `scoreCandidates` is the one code path used by
 * `engine.recommend` (on retrieved candidates) and by the evaluation (on every item of the target
 * scenario).
 */
import { contextScore, resolveContextKeys } from '../model/context.ts';
import { FEATURE, NUM_FEATURES, type ScoringModel } from '../model/scoring.ts';
import { featuresOf, linearScore } from './features.ts';
import type { Query } from './query-types.ts';

/** the context-free part of the candidates' ranker scores: every feature but `context` */
export function baseScores(q: Query, candidates: ArrayLike<number>): Float32Array {
  const out = new Float32Array(candidates.length);
  const f = new Float32Array(NUM_FEATURES);
  for (let i = 0; i < candidates.length; i++) {
    // null: no context (undefined would resolve the query's own)
    featuresOf(q, candidates[i]!, f, null);
    out[i] = linearScore(q.weights, f);
  }
  return out;
}

/** base scores plus the context feature's share: the ranker's linear score of each candidate */
export function withContext(
  m: ScoringModel,
  weights: readonly number[],
  ctxKeys: readonly string[],
  candidates: ArrayLike<number>,
  base: Float32Array,
): Float32Array {
  const ctx = resolveContextKeys(m.context, ctxKeys);
  const w = weights[FEATURE.context] ?? 0;
  if (!ctx || w === 0) return base.slice();
  const out = new Float32Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) out[i] = base[i]! + w * contextScore(ctx, candidates[i]!);
  return out;
}

/** ranker scores of the candidates, in order (context-free part, then the context's share) */
export function scoreCandidates(q: Query, candidates: ArrayLike<number>): Float32Array {
  return withContext(q.model, q.weights, q.ctxKeys, candidates, baseScores(q, candidates));
}
