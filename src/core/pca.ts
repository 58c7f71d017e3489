/**
 * Principal components, once: the eigen-solver behind the sequential model's text whitening
 * (src/seq/whiten.ts, on a covariance matrix) and the taste map (principalAxes, on a small Gram
 * matrix). Subspace iteration: multiply a block of r vectors by the matrix, orthonormalise them
 * (Gram-Schmidt, in order), repeat. The first vector is plain power iteration; each later one is
 * power iteration kept orthogonal to those before it, so the block converges to the top r
 * eigenvectors in order of eigenvalue. Hand-written rather than a library: the callers need only
 * the top few vectors of a symmetric matrix, deterministic from a given start, and the whitening
 * must stay bit-identical so that trained sequential models do not change.
 */

interface EigenOptions {
  /** r x n start vectors, row-major (orthonormalised here; not modified) */
  start: Float64Array;
  /** most multiplications by the matrix */
  iterations: number;
  /**
   * stop once no vector moved more than this in one iteration (1 - |cos| between old and new);
   * undefined = run every iteration
   */
  tolerance?: number;
  /**
   * eigenvectors found before (length n each): the block is kept orthogonal to them, so a call
   * with r = 1 finds the next eigenvector (deflation)
   */
  lock?: readonly Float64Array[];
}

interface Eigen {
  /** r x n, row-major, rows orthonormal */
  vectors: Float64Array;
  /** the Rayleigh quotient v' M v of each vector: its eigenvalue once converged */
  values: Float64Array;
}

/** Top-r eigenvectors of the symmetric n x n matrix `m` (row-major). */
export function topEigenvectors(m: Float64Array, n: number, r: number, opts: EigenOptions): Eigen {
  const lock = opts.lock ?? [];
  let q = Float64Array.from(opts.start);
  orthonormalise(q, r, n, lock);
  const y = new Float64Array(r * n);
  for (let iter = 0; iter < opts.iterations; iter++) {
    let j = 0;
    // four vectors at a time against each row of m (independent sums, each over b in order)
    for (; j + 4 <= r; j += 4) {
      const q0 = j * n;
      const q1 = q0 + n;
      const q2 = q1 + n;
      const q3 = q2 + n;
      for (let a = 0; a < n; a++) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        const o = a * n;
        for (let b = 0; b < n; b++) {
          const mb = m[o + b]!;
          s0 += mb * q[q0 + b]!;
          s1 += mb * q[q1 + b]!;
          s2 += mb * q[q2 + b]!;
          s3 += mb * q[q3 + b]!;
        }
        y[q0 + a] = s0;
        y[q1 + a] = s1;
        y[q2 + a] = s2;
        y[q3 + a] = s3;
      }
    }
    for (; j < r; j++) {
      const qo = j * n;
      for (let a = 0; a < n; a++) {
        let s = 0;
        const o = a * n;
        for (let b = 0; b < n; b++) s += m[o + b]! * q[qo + b]!;
        y[qo + a] = s;
      }
    }
    const next = Float64Array.from(y);
    orthonormalise(next, r, n, lock);
    const settled = opts.tolerance !== undefined && largestMove(q, next, r, n) < opts.tolerance;
    q = next;
    if (settled) break;
  }
  const values = new Float64Array(r);
  for (let j = 0; j < r; j++) {
    let lam = 0;
    for (let a = 0; a < n; a++) {
      let s = 0;
      for (let b = 0; b < n; b++) s += m[a * n + b]! * q[j * n + b]!;
      lam += q[j * n + a]! * s;
    }
    values[j] = lam;
  }
  return { vectors: q, values };
}

/** Gram-Schmidt on the r rows of q, in place, after the `lock` vectors; a zero row stays zero. */
function orthonormalise(q: Float64Array, r: number, dim: number, lock: readonly Float64Array[]): void {
  for (let j = 0; j < r; j++) {
    const o = j * dim;
    for (const l of lock) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[o + k]! * l[k]!;
      for (let k = 0; k < dim; k++) q[o + k]! -= s * l[k]!;
    }
    for (let p = 0; p < j; p++) {
      const po = p * dim;
      let s = 0;
      for (let k = 0; k < dim; k++) s += q[o + k]! * q[po + k]!;
      for (let k = 0; k < dim; k++) q[o + k]! -= s * q[po + k]!;
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += q[o + k]! * q[o + k]!;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < dim; k++) q[o + k]! /= norm;
  }
}

function largestMove(a: Float64Array, b: Float64Array, r: number, n: number): number {
  let worst = 0;
  for (let j = 0; j < r; j++) {
    let s = 0;
    for (let k = j * n; k < (j + 1) * n; k++) s += a[k]! * b[k]!;
    worst = Math.max(worst, Math.abs(1 - Math.abs(s)));
  }
  return worst;
}

/**
 * Top-k principal axes (unit length, in the rows' space) of a few rows. A user's taste map has far
 * fewer points than dimensions (tens against 512), so the eigenvectors come from the small n x n
 * Gram matrix of the centred rows, one after another (each kept orthogonal to those before), and
 * map back to axes in the vector space. Deterministic: fixed start vectors, and each axis's largest
 * component is positive. A direction along which the rows do not spread gets a zero axis.
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
  let trace = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      const g = dot(centred[a]!, centred[b]!);
      gram[a * n + b] = g;
      gram[b * n + a] = g;
    }
    trace += gram[a * n + a]!;
  }
  const eigvecs: Float64Array[] = [];
  const axes: Float64Array[] = [];
  for (let a = 0; a < k; a++) {
    const start = new Float64Array(n);
    for (let i = 0; i < n; i++) start[i] = Math.sin(i * 12.9898 + a * 78.233 + 1); // fixed, non-degenerate
    const { vectors: u, values } = topEigenvectors(gram, n, 1, {
      start,
      iterations,
      tolerance: 1e-10,
      lock: eigvecs,
    });
    eigvecs.push(u);
    const v = new Float64Array(dim);
    // rounding noise, not spread: left as a zero axis rather than normalised into a random one
    if (!(values[0]! > 1e-12 * trace)) {
      axes.push(v);
      continue;
    }
    // axis = X' u, normalised
    for (let i = 0; i < n; i++) {
      const ui = u[i]!;
      if (ui === 0) continue;
      const c = centred[i]!;
      for (let j = 0; j < dim; j++) v[j]! += ui * c[j]!;
    }
    for (const p of axes) {
      const s = dot(v, p);
      for (let j = 0; j < dim; j++) v[j]! -= s * p[j]!;
    }
    const norm = Math.sqrt(dot(v, v));
    if (norm > 0) for (let j = 0; j < dim; j++) v[j]! /= norm;
    // a stable sign: the largest component is positive
    let big = 0;
    for (let j = 1; j < dim; j++) if (Math.abs(v[j]!) > Math.abs(v[big]!)) big = j;
    if (v[big]! < 0) for (let j = 0; j < dim; j++) v[j] = -v[j]!;
    axes.push(v);
  }
  return axes;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}
