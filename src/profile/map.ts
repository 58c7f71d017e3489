/**
 * 2-D map of a user's taste: item vectors and interest centres projected onto their first two
 * principal components (src/core/pca.ts). Pure and deterministic.
 */
import { principalAxes } from '../core/pca.ts';

export { principalAxes };

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
