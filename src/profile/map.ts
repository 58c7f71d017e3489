/**
 * 2-D map of a user's taste: item vectors and interest centres projected onto their first two
 * principal components. Pure and deterministic (fixed start vectors, sign-normalised axes).
 */

/**
 * Top-k principal axes of the rows (each of length dim). A user's map has far fewer points than
 * dimensions (tens vs 512), so the eigenvectors come from the small n x n Gram matrix of the
 * centred rows (power iteration with deflation), then map back to axes in the vector space.
 */
export function principalAxes(rows: readonly Float32Array[], k = 2, iterations = 100): Float64Array[] {
  const n = rows.length;
  const dim = rows[0]?.length ?? 0;
  const mean = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) mean[j]! += r[j]! / n;
  const centred = rows.map((r) => {
    const c = new Float64Array(dim);
    for (let j = 0; j < dim; j++) c[j] = r[j]! - mean[j]!;
    return c;
  });
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      const g = dot(centred[a]!, centred[b]!);
      gram[a * n + b] = g;
      gram[b * n + a] = g;
    }
  }
  const eigvecs: Float64Array[] = [];
  const axes: Float64Array[] = [];
  for (let a = 0; a < k; a++) {
    let u = new Float64Array(n);
    for (let i = 0; i < n; i++) u[i] = Math.sin(i * 12.9898 + a * 78.233 + 1); // fixed, non-degenerate start
    orthogonalise(u, eigvecs);
    normalise(u);
    for (let it = 0; it < iterations; it++) {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += gram[i * n + j]! * u[j]!;
        w[i] = s;
      }
      orthogonalise(w, eigvecs);
      if (normalise(w) < 1e-12) break;
      const delta = Math.abs(1 - Math.abs(dot(w, u)));
      u = w;
      if (delta < 1e-10) break;
    }
    eigvecs.push(u);
    // axis = X^T u, normalised
    const v = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      const ui = u[i]!;
      if (ui === 0) continue;
      const c = centred[i]!;
      for (let j = 0; j < dim; j++) v[j]! += ui * c[j]!;
    }
    orthogonalise(v, axes);
    normalise(v);
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
