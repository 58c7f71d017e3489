/**
 * Turning a model's scores into a ranked list under a protocol: only `candidates` compete, masked
 * items never appear, and ties are broken by a fixed seeded permutation (not by item index, which
 * would favour low ids, and not by chance per call, which would break determinism).
 */

import { seededRandom } from '../core/rng.ts';
import { topK as coreTopK } from '../core/topk.ts';

/** Every random choice of the harness goes through the one seeded generator. */
export const rng = seededRandom;

/** A random permutation rank per item: the tie-breaker of every ranking in one run. */
export function tieBreaker(numItems: number, seed: number): Uint32Array {
  const perm = new Uint32Array(numItems);
  for (let i = 0; i < numItems; i++) perm[i] = i;
  const r = rng(seed ^ 0x9e3779b9);
  for (let i = numItems - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/** Seeded sample of `count` distinct values from `pool`, never `exclude`. */
export function sampleDistinct(
  pool: ArrayLike<number>,
  count: number,
  exclude: ReadonlySet<number>,
  random: () => number,
): number[] {
  const out: number[] = [];
  const taken = new Set<number>();
  const available = pool.length - [...exclude].filter((e) => Array.prototype.includes.call(pool, e)).length;
  const want = Math.min(count, Math.max(0, available));
  while (out.length < want) {
    const v = pool[Math.floor(random() * pool.length)]!;
    if (exclude.has(v) || taken.has(v)) continue;
    taken.add(v);
    out.push(v);
  }
  return out;
}

/**
 * The top `k` of `candidates` by score (higher first, NaN last), skipping `masked`, equal scores
 * in the seeded tie-breaker's order (the shared heap: src/core/topk.ts).
 */
export function topK(
  scores: Float32Array,
  candidates: ArrayLike<number>,
  k: number,
  tie: Uint32Array,
  masked?: ReadonlySet<number>,
): number[] {
  return coreTopK(candidates, k, (i) => scores[i]!, {
    tie: (i) => tie[i]!,
    ...(masked ? { skip: (i: number) => masked.has(i) } : {}),
  });
}
