/**
 * The one seeded random generator (mulberry32): small, fast, and the same sequence on every
 * platform for the same seed. Every random choice in the engine, evaluation and demo goes through it.
 */
import { createHash } from 'node:crypto';

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The generator of one answer's random choices, seeded by a policy's seed and the recommendation
 * id so that a logged answer can be reproduced.
 */
export function requestRandom(seed: number, id: string): () => number {
  return seededRandom(createHash('sha256').update(`${seed}:${id}`).digest().readUInt32BE(0));
}

/**
 * A seeded Fisher-Yates sample of k elements (all of them, in order, when k >= length). Uses its
 * own xorshift32 stream so trained models stay reproducible across versions.
 */
export function seededSample<T>(xs: readonly T[], k: number, seed: number): T[] {
  if (xs.length <= k) return [...xs];
  let s = seed >>> 0 || 1;
  const idx = Array.from(xs.keys());
  for (let i = idx.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k).map((i) => xs[i]!);
}
