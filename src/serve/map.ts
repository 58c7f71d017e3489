/**
 * 2-D map of a user's taste: item vectors and interest centres projected onto their first two
 * principal components. Pure and deterministic (fixed start vectors, sign-normalised axes).
 */

/** Top-k principal axes of the rows (each of length dim) by power iteration with deflation. */
export function principalAxes(rows: readonly Float32Array[], k = 2, iterations = 60): Float64Array[] {
  const n = rows.length;
  const dim = rows[0]?.length ?? 0;
  const mean = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j]! += r[j]! / n;
  const centred = rows.map((r) => {
    const c = new Float64Array(dim);
    for (let j = 0; j < dim; j++) c[j] = r[j]! - mean[j]!;
    return c;
  });
  const axes: Float64Array[] = [];
  for (let a = 0; a < k; a++) {
    let v = new Float64Array(dim);
    for (let j = 0; j < dim; j++) v[j] = Math.sin(j * 12.9898 + a * 78.233 + 1); // fixed, non-degenerate start
    orthogonalise(v, axes);
    normalise(v);
    for (let it = 0; it < iterations; it++) {
      // w = C v with C = X^T X, computed as X^T (X v) without forming the covariance matrix
      const w = new Float64Array(dim);
      for (const c of centred) {
        const s = dot(c, v);
        if (s !== 0) for (let j = 0; j < dim; j++) w[j]! += s * c[j]!;
      }
      orthogonalise(w, axes);
      if (normalise(w) === 0) break;
      v = w;
    }
    // a stable sign: the largest component is positive
    let big = 0;
    for (let j = 1; j < dim; j++) if (Math.abs(v[j]!) > Math.abs(v[big]!)) big = j;
    if (v[big]! < 0) for (let j = 0; j < dim; j++) v[j] = -v[j]!;
    axes.push(v);
  }
  return axes;
}

/** Projects rows onto the first two principal axes of `fitRows` (default: the rows themselves). */
export function project2d(
  rows: readonly Float32Array[],
  fitRows: readonly Float32Array[] = rows,
): [number, number][] {
  if (rows.length === 0) return [];
  if (fitRows.length < 2) return rows.map(() => [0, 0]);
  const dim = fitRows[0]!.length;
  const mean = new Float64Array(dim);
  for (const r of fitRows) for (let j = 0; j < dim; j++) mean[j]! += r[j]! / fitRows.length;
  const [ax, ay] = principalAxes(fitRows, 2);
  return rows.map((r) => {
    let x = 0;
    let y = 0;
    for (let j = 0; j < dim; j++) {
      const c = r[j]! - mean[j]!;
      x += c * ax![j]!;
      y += c * ay![j]!;
    }
    return [x, y];
  });
}

/** Weighted mean of vectors, L2-normalised; undefined when there are none. */
export function centre(
  vectors: readonly Float32Array[],
  weights?: readonly number[],
): Float32Array | undefined {
  if (vectors.length === 0) return undefined;
  const out = new Float32Array(vectors[0]!.length);
  vectors.forEach((v, i) => {
    const w = weights?.[i] ?? 1;
    for (let j = 0; j < out.length; j++) out[j]! += w * v[j]!;
  });
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let j = 0; j < out.length; j++) out[j]! /= norm;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

function orthogonalise(v: Float64Array, axes: readonly Float64Array[]): void {
  for (const a of axes) {
    const s = dot(v, a);
    for (let j = 0; j < v.length; j++) v[j]! -= s * a[j]!;
  }
}

function normalise(v: Float64Array): number {
  const n = Math.sqrt(dot(v, v));
  if (n > 0) for (let j = 0; j < v.length; j++) v[j]! /= n;
  return n;
}
