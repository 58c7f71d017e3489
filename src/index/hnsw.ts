/** Approximate inner-product search with usearch's HNSW graph, for catalogs past the exact threshold. */
import { BatchMatches, Index, type Matches, MetricKind, ScalarKind } from 'usearch';
import { RecError } from '../core/errors.ts';
import type { SearchHit, VectorIndex } from './types.ts';

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw';
  private index: Index;

  constructor(
    readonly dim: number,
    private readonly opts: {
      connectivity?: number;
      expansionSearch?: number;
      /**
       * how the graph stores vectors: bf16 (default) and f16 halve memory and distance cost
       * against f32; bf16 measured cheaper than f16 per query at the same recall (bench:index)
       */
      quantization?: 'f32' | 'f16' | 'bf16';
    } = {},
  ) {
    this.index = this.fresh();
  }

  private fresh(): Index {
    return new Index({
      dimensions: this.dim,
      metric: MetricKind.IP,
      quantization: { f32: ScalarKind.F32, f16: ScalarKind.F16, bf16: ScalarKind.BF16 }[
        this.opts.quantization ?? 'bf16'
      ],
      connectivity: this.opts.connectivity ?? 16,
      expansion_add: 128,
      expansion_search: this.opts.expansionSearch ?? 64,
      multi: false,
    });
  }

  size(): number {
    return this.index.size();
  }

  add(keys: readonly number[], vectors: Float32Array): void {
    if (vectors.length !== keys.length * this.dim) {
      throw new RecError(
        'INVALID_INPUT',
        `expected ${keys.length} x ${this.dim} values, got ${vectors.length}`,
        {
          field: 'vectors',
        },
      );
    }
    if (keys.length === 0) return;
    // usearch refuses a key twice: replacing means remove, then add
    const big = BigUint64Array.from(keys, (k) => BigInt(k));
    const present = this.index.contains(big);
    const existing = keys.filter((_, i) => (Array.isArray(present) ? present[i] : present));
    if (existing.length > 0) this.remove(existing);
    // One thread builds the same graph every time (the same answers after a restart, and two
    // engines over one store agree); past 10,000 vectors at once (a large catalog at engine start)
    // every core builds it, faster but not bit-reproducible.
    this.index.add(big, vectors.slice(), keys.length > 10_000 ? 0 : 1);
  }

  remove(keys: readonly number[]): void {
    if (keys.length === 0) return;
    this.index.remove(BigUint64Array.from(keys, (k) => BigInt(k)));
  }

  search(query: Float32Array, k: number): SearchHit[] {
    return this.searchMany([query], k)[0]!;
  }

  searchMany(queries: readonly Float32Array[], k: number): SearchHit[][] {
    const size = this.index.size();
    if (size === 0 || k <= 0 || queries.length === 0) return queries.map(() => []);
    const count = Math.min(k, size);
    const batch = new Float32Array(queries.length * this.dim);
    queries.forEach((q, i) => {
      batch.set(q, i * this.dim);
    });
    // one native call on the caller's thread: a request's 3 queries spread over the cores cost more
    // CPU and more wall time than one thread does them (bench/index.ts), and a server has other
    // requests for the other cores. A batch of one comes back as plain Matches.
    const found: Matches | BatchMatches = this.index.search(batch, count, 1);
    return queries.map((_, qi) => {
      const m = found instanceof BatchMatches ? found.get(qi) : found;
      const out: SearchHit[] = [];
      for (let i = 0; i < m.keys.length; i++) {
        // IP distance is 1 - dot
        out.push({ key: Number(m.keys[i]!), score: 1 - m.distances[i]! });
      }
      return out.sort((a, b) => b.score - a.score || a.key - b.key);
    });
  }

  save(path: string): void {
    this.index.save(path);
  }

  load(path: string): void {
    this.index = this.fresh();
    this.index.load(path);
  }
}
