/**
 * Dot products on the serving path. Four independent accumulators: a single running sum makes
 * every multiply-add wait for the previous one, so a 512-d dot product is bound by the add's
 * latency; four chains let the CPU overlap them (measured in docs/serving-results.md;
 * src/core/vec.test.ts checks the equality to a plain loop within rounding).
 */

/** a[oa, oa + n) · b[ob, ob + n) */
function dotSpan(a: Float32Array, oa: number, b: Float32Array, ob: number, n: number): number {
  const m = n & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < m; i += 4) {
    s0 += a[oa + i]! * b[ob + i]!;
    s1 += a[oa + i + 1]! * b[ob + i + 1]!;
    s2 += a[oa + i + 2]! * b[ob + i + 2]!;
    s3 += a[oa + i + 3]! * b[ob + i + 3]!;
  }
  for (; i < n; i++) s0 += a[oa + i]! * b[ob + i]!;
  return s0 + s1 + (s2 + s3);
}

/** a · rows[off, off + a.length): a row of a flat row-major matrix, read in place */
export function dotAt(a: Float32Array, rows: Float32Array, off: number): number {
  return dotSpan(a, 0, rows, off, a.length);
}

/** a · b over a's length (b at least as long) */
export function dot(a: Float32Array, b: Float32Array): number {
  return dotSpan(a, 0, b, 0, a.length);
}

/** rows[oa, oa + dim) · rows[ob, ob + dim): two rows of one matrix */
export function dotRows(rows: Float32Array, oa: number, ob: number, dim: number): number {
  return dotSpan(rows, oa, rows, ob, dim);
}
