/**
 * Length-aware batching. A batch costs as much as its longest text times its size (the model pads
 * every row to the longest), so texts are sorted by token count and cut into batches bounded both
 * in rows and in padded tokens: short titles travel in large batches, long descriptions in small ones.
 */
export interface BatchLimits {
  /** most texts in one batch */
  maxBatch: number;
  /** most padded tokens (rows x longest row) in one batch */
  maxTokens: number;
}

/** Returns batches of indices into `lengths`, shortest texts first; every index appears once. */
export function planBatches(lengths: readonly number[], limits: BatchLimits): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const batches: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    const longest = Math.max(1, lengths[i]!);
    if (cur.length > 0 && (cur.length >= limits.maxBatch || (cur.length + 1) * longest > limits.maxTokens)) {
      batches.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length > 0) batches.push(cur);
  return batches;
}

/** Splits `xs` into consecutive chunks of at most `size`. */
export function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function l2normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s > 0) {
    const k = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] = v[i]! * k;
  }
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}
