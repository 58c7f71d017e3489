/**
 * Turning a model's scores into a ranked list under a protocol: only `candidates` compete, masked
 * items never appear, and ties are broken by a fixed seeded permutation (not by item index, which
 * would favour low ids, and not by chance per call, which would break determinism).
 */
import { seededRandom } from '../core/rng.ts';

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
 * The top `k` of `candidates` by score (higher first, NaN last), skipping `masked`. A min-heap of
 * size k keeps this O(n log k) over catalogues of tens of thousands of items.
 */
export function topK(
  scores: Float32Array,
  candidates: ArrayLike<number>,
  k: number,
  tie: Uint32Array,
  masked?: ReadonlySet<number>,
): number[] {
  const heap: number[] = [];
  const val = (i: number) => {
    const s = scores[i]!;
    return Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s;
  };
  // a is worse than b
  const worse = (a: number, b: number) => {
    const sa = val(a);
    const sb = val(b);
    return sa < sb || (sa === sb && tie[a]! > tie[b]!);
  };
  const siftDown = (i: number) => {
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && worse(heap[l]!, heap[m]!)) m = l;
      if (r < n && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      const t = heap[i]!;
      heap[i] = heap[m]!;
      heap[m] = t;
      i = m;
    }
  };
  // the heap's worst score: most candidates fall below it and are rejected by one comparison
  let floor = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < candidates.length; c++) {
    const item = candidates[c]!;
    if (heap.length >= k && !(scores[item]! >= floor)) continue;
    if (masked?.has(item)) continue;
    if (heap.length < k) {
      heap.push(item);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[p]!)) break;
        const t = heap[i]!;
        heap[i] = heap[p]!;
        heap[p] = t;
        i = p;
      }
      if (heap.length === k) floor = val(heap[0]!);
    } else if (k > 0 && worse(heap[0]!, item)) {
      heap[0] = item;
      siftDown(0);
      floor = val(heap[0]!);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}
