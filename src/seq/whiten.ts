/**
 * Fixed PCA whitening of the language-model vectors (the input side of UniSRec's adaptor): centre,
 * project on the top principal directions, divide each by its standard deviation. It makes the
 * 512-d USE space isotropic (raw USE cosines sit in a narrow cone) and cuts the width the learned
 * projection has to read, which is what makes per-batch text gradients affordable on a CPU.
 */
import { topEigenvectors } from '../core/pca.ts';
import { seededRandom } from '../core/rng.ts';
import { gaussian } from './params.ts';

export interface Whitening {
  inDim: number;
  outDim: number;
  mean: Float32Array;
  /** outDim x inDim, rows orthonormal */
  basis: Float32Array;
  /** 1 / sqrt(eigenvalue + eps) per output dimension */
  inv: Float32Array;
}

function hasRow(data: Float32Array, i: number, dim: number): boolean {
  let s = 0;
  for (let k = i * dim; k < (i + 1) * dim; k++) s += data[k]! * data[k]!;
  return s > 0.5;
}

/** fits the whitening on (a seeded sample of) the rows that have a vector */
export function fitWhitening(
  data: Float32Array,
  dim: number,
  outDim: number,
  seed: number,
  maxRows = 4000,
): Whitening {
  const n = data.length / dim;
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (hasRow(data, i, dim)) rows.push(i);
  const rnd = seededRandom(seed);
  // reservoir-free seeded subsample: a stride walk from a seeded offset keeps it deterministic
  const step = Math.max(1, Math.floor(rows.length / maxRows));
  const off = Math.floor(rnd() * step);
  const sample = rows.filter((_, j) => j % step === off % step).slice(0, maxRows);
  const r = Math.min(outDim, dim, Math.max(1, sample.length - 1));
  const mean = new Float64Array(dim);
  for (const i of sample) for (let k = 0; k < dim; k++) mean[k]! += data[i * dim + k]!;
  for (let k = 0; k < dim; k++) mean[k]! /= Math.max(1, sample.length);
  const cov = new Float64Array(dim * dim);
  for (let q = 0; q < sample.length; q += 4) addOuter(cov, data, dim, mean, sample.slice(q, q + 4));
  for (let a = 0; a < dim; a++)
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / Math.max(1, sample.length - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  const g = gaussian(rnd);
  const start = Float64Array.from({ length: r * dim }, () => g());
  const { vectors: q, values } = topEigenvectors(cov, dim, r, { start, iterations: 30 });
  const inv = new Float32Array(r);
  for (let j = 0; j < r; j++) inv[j] = 1 / Math.sqrt(Math.max(values[j]!, 0) + 1e-6);
  return { inDim: dim, outDim: r, mean: Float32Array.from(mean), basis: Float32Array.from(q), inv };
}

/**
 * Adds the outer products of the centred rows (at most four) to the upper triangle of cov. Each
 * value takes the rows' terms in row order, four per pass where all four are non-zero (a zero term
 * is skipped, as one row at a time would), so the sum has the bits of one row at a time.
 */
function addOuter(
  cov: Float64Array,
  data: Float32Array,
  dim: number,
  mean: Float64Array,
  rows: readonly number[],
): void {
  const n = rows.length;
  const c = new Float64Array(4 * dim);
  for (let r = 0; r < n; r++)
    for (let k = 0; k < dim; k++) c[r * dim + k] = data[rows[r]! * dim + k]! - mean[k]!;
  for (let a = 0; a < dim; a++) {
    const o = a * dim;
    const c0 = c[a]!;
    const c1 = c[dim + a]!;
    const c2 = c[2 * dim + a]!;
    const c3 = c[3 * dim + a]!;
    if (n === 4 && c0 !== 0 && c1 !== 0 && c2 !== 0 && c3 !== 0) {
      for (let b = a; b < dim; b++)
        cov[o + b] =
          cov[o + b]! + c0 * c[b]! + c1 * c[dim + b]! + c2 * c[2 * dim + b]! + c3 * c[3 * dim + b]!;
      continue;
    }
    for (let r = 0; r < n; r++) {
      const ca = c[r * dim + a]!;
      if (ca === 0) continue;
      const ro = r * dim;
      for (let b = a; b < dim; b++) cov[o + b]! += ca * c[ro + b]!;
    }
  }
}

/** whitened features of every row (zero rows, i.e. items without text, stay zero) */
export function applyWhitening(w: Whitening, data: Float32Array): Float32Array {
  const n = data.length / w.inDim;
  const out = new Float32Array(n * w.outDim);
  // the centred rows of two items with text at a time (see project)
  const c = new Float32Array(2 * w.inDim);
  let held = -1;
  for (let i = 0; i < n; i++) {
    if (!hasRow(data, i, w.inDim)) continue;
    const at = held < 0 ? 0 : w.inDim;
    for (let k = 0; k < w.inDim; k++) c[at + k] = data[i * w.inDim + k]! - w.mean[k]!;
    if (held < 0) held = i;
    else {
      project(w, c, out, held * w.outDim, i * w.outDim);
      held = -1;
    }
  }
  if (held >= 0) project(w, c, out, held * w.outDim, -1);
  return out;
}

/**
 * out[off + j] = (basis_j . c) inv_j for every output j, for the first centred row of c at off and
 * the second at off2 (-1: none); four outputs of both rows per pass (independent sums, each over k
 * in order: the bits of one sum at a time)
 */
function project(w: Whitening, c: Float32Array, out: Float32Array, off: number, off2: number): void {
  const { basis, inv, inDim: n, outDim: r } = w;
  if (off2 < 0) {
    for (let j = 0; j < r; j++) {
      let s = 0;
      const o = j * n;
      for (let k = 0; k < n; k++) s += basis[o + k]! * c[k]!;
      out[off + j] = s * inv[j]!;
    }
    return;
  }
  let j = 0;
  for (; j + 4 <= r; j += 4) {
    const o0 = j * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    for (let k = 0; k < n; k++) {
      const ck = c[k]!;
      const dk = c[n + k]!;
      const b0 = basis[o0 + k]!;
      const b1 = basis[o1 + k]!;
      const b2 = basis[o2 + k]!;
      const b3 = basis[o3 + k]!;
      s0 += b0 * ck;
      s1 += b1 * ck;
      s2 += b2 * ck;
      s3 += b3 * ck;
      t0 += b0 * dk;
      t1 += b1 * dk;
      t2 += b2 * dk;
      t3 += b3 * dk;
    }
    out[off + j] = s0 * inv[j]!;
    out[off + j + 1] = s1 * inv[j + 1]!;
    out[off + j + 2] = s2 * inv[j + 2]!;
    out[off + j + 3] = s3 * inv[j + 3]!;
    out[off2 + j] = t0 * inv[j]!;
    out[off2 + j + 1] = t1 * inv[j + 1]!;
    out[off2 + j + 2] = t2 * inv[j + 2]!;
    out[off2 + j + 3] = t3 * inv[j + 3]!;
  }
  for (; j < r; j++) {
    let s = 0;
    let t = 0;
    const o = j * n;
    for (let k = 0; k < n; k++) {
      s += basis[o + k]! * c[k]!;
      t += basis[o + k]! * c[n + k]!;
    }
    out[off + j] = s * inv[j]!;
    out[off2 + j] = t * inv[j]!;
  }
}
