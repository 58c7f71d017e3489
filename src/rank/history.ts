/**
 * What a query reads from a profile's history: recency per entry, the target scenario's own
 * entries, and the recent items' mean vector.
 */
import { dot } from '../core/vec.ts';
import { type ScoringModel, vectorOf } from '../model/scoring.ts';
import type { HistoryEntry } from '../profile/types.ts';

/**
 * Recency weight per history position, `decay` per later entry of the same scenario: an item's
 * weight does not fade because the user was busy in another scenario since (a kitchen purchase
 * says nothing about how stale a food purchase is). One scenario: plain recency.
 */
export function scenarioRecency(history: readonly HistoryEntry[], decay: number): Float64Array {
  const out = new Float64Array(history.length);
  const f = new Map<string, number>();
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i]!.scenario;
    const v = f.get(s) ?? 1;
    out[i] = v;
    f.set(s, v * decay);
  }
  return out;
}

/** entries of `scenario` in a history (what picks the weights' bucket) */
export function ownCountOf(history: readonly { scenario: string }[], scenario: string): number {
  let n = 0;
  for (const h of history) if (h.scenario === scenario) n++;
  return n;
}

/** the items of the positively engaged entries, in history order (what the latent model folds in) */
export function likedItems(history: readonly { item: number; weight: number }[]): number[] {
  const out: number[] = [];
  for (const h of history) if (h.weight > 0) out.push(h.item);
  return out;
}

/** the entries the sequential model reads: positively engaged, of items it knows */
export function seqEntries<H extends { item: number; weight: number }>(
  history: readonly H[],
  numItems: number,
): H[] {
  return history.filter((h) => h.weight > 0 && h.item < numItems);
}

/** the target scenario's entries of a history, or the whole history when it has none there */
export function ownHistory(history: readonly HistoryEntry[], scenario: string): readonly HistoryEntry[] {
  const n = ownCountOf(history, scenario);
  if (n === 0 || n === history.length) return history;
  return history.filter((h) => h.scenario === scenario);
}

/**
 * The last five positively engaged entries of `history` that have a vector, most recent first, each
 * with its coefficient in their recency-weighted mean vector `vec` (L2-normalised):
 * `vec = sum(coef * vector)`, so the dot product of any item with it splits exactly over these
 * entries (explanations credit them so). The vectors of negative entries met on the way go to
 * `negatives` (at most 20).
 */
export function recentParts(
  m: ScoringModel,
  history: readonly HistoryEntry[],
  negatives: Float32Array[] = [],
): { parts: { entry: HistoryEntry; coef: number }[]; vec: Float32Array | undefined } {
  if (!m.useText || m.dim === 0) return { parts: [], vec: undefined };
  const parts: { entry: HistoryEntry; coef: number }[] = [];
  const acc = new Float32Array(m.dim);
  let f = 1;
  for (let i = history.length - 1; i >= 0 && parts.length < 5; i--) {
    const h = history[i]!;
    const v = vectorOf(m, h.item);
    if (!v) continue;
    if (h.weight < 0) {
      if (negatives.length < 20) negatives.push(v);
      continue;
    }
    for (let d = 0; d < m.dim; d++) acc[d]! += f * v[d]!;
    parts.push({ entry: h, coef: f });
    f *= 0.6;
  }
  if (parts.length === 0) return { parts, vec: undefined };
  const norm = Math.sqrt(dot(acc, acc));
  if (norm > 0) {
    for (let d = 0; d < m.dim; d++) acc[d]! /= norm;
    for (const p of parts) p.coef /= norm;
  }
  return { parts, vec: acc };
}

/**
 * The recency-weighted mean vector of the last five positively engaged items of `history` (and the
 * last one's own vector); the vectors of negative entries among them go to `negatives`.
 */
export function recentText(
  m: ScoringModel,
  history: readonly HistoryEntry[],
  negatives: Float32Array[],
): { recentVec: Float32Array | undefined; lastVec: Float32Array | undefined } {
  const { parts, vec } = recentParts(m, history, negatives);
  return { recentVec: vec, lastVec: parts[0] ? vectorOf(m, parts[0].entry.item) : undefined };
}
