/**
 * Dot products on the serving path. Four independent accumulators: a single running sum makes
 * every multiply-add wait for the previous one, so a 512-d dot product is bound by the add's
 * latency; four chains let the CPU overlap them (1.4-1.7x faster on USE-Lite rows, see
 * src/core/vec.test.ts for the equality to a plain loop within rounding).
 */

/** a · rows[off, off + a.length): a row of a flat row-major matrix, read in place */
export function dotAt(a: Float32Array, rows: Float32Array, off: number): number {
  const n = a.length;
  const m = n & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < m; i += 4) {
    s0 += a[i]! * rows[off + i]!;
    s1 += a[i + 1]! * rows[off + i + 1]!;
    s2 += a[i + 2]! * rows[off + i + 2]!;
    s3 += a[i + 3]! * rows[off + i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * rows[off + i]!;
  return s0 + s1 + (s2 + s3);
}

/** a · b over a's length (b at least as long) */
export function dot(a: Float32Array, b: Float32Array): number {
  return dotAt(a, b, 0);
}

/** rows[oa, oa + dim) · rows[ob, ob + dim): two rows of one matrix */
export function dotRows(rows: Float32Array, oa: number, ob: number, dim: number): number {
  const m = dim & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < m; i += 4) {
    s0 += rows[oa + i]! * rows[ob + i]!;
    s1 += rows[oa + i + 1]! * rows[ob + i + 1]!;
    s2 += rows[oa + i + 2]! * rows[ob + i + 2]!;
    s3 += rows[oa + i + 3]! * rows[ob + i + 3]!;
  }
  for (; i < dim; i++) s0 += rows[oa + i]! * rows[ob + i]!;
  return s0 + s1 + (s2 + s3);
}
