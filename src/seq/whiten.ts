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
  const g = gaussian(rnd);
  const start = Float64Array.from({ length: r * dim }, () => g());
  const { vectors: q, values } = topEigenvectors(cov, dim, r, { start, iterations: 30 });
  const inv = new Float32Array(r);
  for (let j = 0; j < r; j++) inv[j] = 1 / Math.sqrt(Math.max(values[j]!, 0) + 1e-6);
  return { inDim: dim, outDim: r, mean: Float32Array.from(mean), basis: Float32Array.from(q), inv };
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
