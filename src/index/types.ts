/**
 * Nearest-neighbour search over L2-normalised item vectors by inner product. Keys are the engine's
 * dense item indices. Exact below a size threshold, HNSW (usearch) above; both pass one contract.
 */
export interface SearchHit {
  key: number;
  /** inner product with the query (cosine for unit vectors) */
  score: number;
}

export interface VectorIndex {
  readonly kind: 'exact' | 'hnsw';
  readonly dim: number;
  size(): number;
  /** vectors row-major, one row per key; re-adding a key replaces its vector */
  add(keys: readonly number[], vectors: Float32Array): void;
  remove(keys: readonly number[]): void;
  /** best first, at most k */
  search(query: Float32Array, k: number): SearchHit[];
  /** `search` for several queries at once (one native call, spread over the cores where it pays) */
  searchMany(queries: readonly Float32Array[], k: number): SearchHit[][];
  save(path: string): void;
  load(path: string): void;
}
