import { ExactIndex } from './exact.ts';
import { HnswIndex } from './hnsw.ts';
import type { VectorIndex } from './types.ts';

/** makes an empty index for `expectedSize` vectors of `dim` (one per scenario) */
export type VectorIndexFactory = (dim: number, expectedSize: number) => VectorIndex;

/** Exact search up to `threshold` vectors (it is both faster and correct there), HNSW above. */
export function createVectorIndex(
  dim: number,
  expectedSize: number,
  threshold: number,
  /** HNSW's search breadth (engine.searchExpansion); the index's own default when absent */
  expansionSearch?: number,
): VectorIndex {
  return expectedSize > threshold
    ? new HnswIndex(dim, expansionSearch === undefined ? {} : { expansionSearch })
    : new ExactIndex(dim);
}
