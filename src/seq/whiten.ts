/**
 * Fixed PCA whitening of the language-model vectors (the input side of UniSRec's adaptor): centre,
 * project on the top principal directions, divide each by its standard deviation. It makes the
 * 512-d USE space isotropic (raw USE cosines sit in a narrow cone) and cuts the width the learned
 * projection has to read, which is what makes per-batch text gradients affordable on a CPU.
 */
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
  const c = new Float64Array(dim);
  for (const i of sample) {
    for (let k = 0; k < dim; k++) c[k] = data[i * dim + k]! - mean[k]!;
    for (let a = 0; a < dim; a++) {
      const ca = c[a]!;
      if (ca === 0) continue;
      const o = a * dim;
      for (let b = a; b < dim; b++) cov[o + b]! += ca * c[b]!;
    }
  }
  for (let a = 0; a < dim; a++)
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / Math.max(1, sample.length - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  // subspace iteration for the top r eigenvectors
  const g = gaussian(rnd);
  let q = Float64Array.from({ length: r * dim }, () => g());
  orthonormalise(q, r, dim);
  const y = new Float64Array(r * dim);
  for (let iter = 0; iter < 30; iter++) {
    for (let j = 0; j < r; j++) {
      const qo = j * dim;
      for (let a = 0; a < dim; a++) {
        let s = 0;
        const o = a * dim;
        for (let b = 0; b < dim; b++) s += cov[o + b]! * q[qo + b]!;
        y[qo + a] = s;
      }
    }
    q = Float64Array.from(y);
    orthonormalise(q, r, dim);
  }
  const inv = new Float32Array(r);
  for (let j = 0; j < r; j++) {
    let lam = 0;
    for (let a = 0; a < dim; a++) {
      let s = 0;
      for (let b = 0; b < dim; b++) s += cov[a * dim + b]! * q[j * dim + b]!;
      lam += q[j * dim + a]! * s;
    }
    inv[j] = 1 / Math.sqrt(Math.max(lam, 0) + 1e-6);
  }
  return { inDim: dim, outDim: r, mean: Float32Array.from(mean), basis: Float32Array.from(q), inv };
}

function orthonormalise(q: Float64Array, r: number, dim: number): void {
  for (let j = 0; j < r; j++) {
    const o = j * dim;
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

/** whitened features of every row (zero rows, i.e. items without text, stay zero) */
export function applyWhitening(w: Whitening, data: Float32Array): Float32Array {
  const n = data.length / w.inDim;
  const out = new Float32Array(n * w.outDim);
  const c = new Float32Array(w.inDim);
  for (let i = 0; i < n; i++) {
    if (!hasRow(data, i, w.inDim)) continue;
    for (let k = 0; k < w.inDim; k++) c[k] = data[i * w.inDim + k]! - w.mean[k]!;
    for (let j = 0; j < w.outDim; j++) {
      let s = 0;
      const o = j * w.inDim;
      for (let k = 0; k < w.inDim; k++) s += w.basis[o + k]! * c[k]!;
      out[i * w.outDim + j] = s * w.inv[j]!;
    }
  }
  return out;
}
