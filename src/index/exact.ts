/** Exact inner-product search: a dense matrix scan, best for small catalogs and as ground truth. */
import { readFileSync, writeFileSync } from 'node:fs';
import { RecError } from '../core/errors.ts';
import type { SearchHit, VectorIndex } from './types.ts';

const MAGIC = 0x46524558; // "FREX"

export class ExactIndex implements VectorIndex {
  readonly kind = 'exact';
  private keys: number[] = [];
  private rows = new Map<number, number>();
  private data: Float32Array;

  constructor(readonly dim: number) {
    this.data = new Float32Array(dim * 64);
  }

  size(): number {
    return this.keys.length;
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
    keys.forEach((key, i) => {
      let row = this.rows.get(key);
      if (row === undefined) {
        row = this.keys.length;
        this.keys.push(key);
        this.rows.set(key, row);
        if ((row + 1) * this.dim > this.data.length) {
          const grown = new Float32Array(Math.max(this.data.length * 2, (row + 1) * this.dim));
          grown.set(this.data);
          this.data = grown;
        }
      }
      this.data.set(vectors.subarray(i * this.dim, (i + 1) * this.dim), row * this.dim);
    });
  }

  remove(keys: readonly number[]): void {
    for (const key of keys) {
      const row = this.rows.get(key);
      if (row === undefined) continue;
      // move the last row into the hole
      const last = this.keys.length - 1;
      const lastKey = this.keys[last]!;
      if (row !== last) {
        this.data.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
        this.keys[row] = lastKey;
        this.rows.set(lastKey, row);
      }
      this.keys.pop();
      this.rows.delete(key);
    }
  }

  search(query: Float32Array, k: number): SearchHit[] {
    const n = this.keys.length;
    const d = this.dim;
    const hits: SearchHit[] = [];
    let floor = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < n; r++) {
      let s = 0;
      const o = r * d;
      for (let j = 0; j < d; j++) s += this.data[o + j]! * query[j]!;
      if (hits.length < k || s > floor) {
        hits.push({ key: this.keys[r]!, score: s });
        if (hits.length > 2 * k + 16) {
          hits.sort((a, b) => b.score - a.score || a.key - b.key);
          hits.length = k;
          floor = hits[k - 1]!.score;
        }
      }
    }
    hits.sort((a, b) => b.score - a.score || a.key - b.key);
    return hits.slice(0, k);
  }

  searchMany(queries: readonly Float32Array[], k: number): SearchHit[][] {
    return queries.map((q) => this.search(q, k));
  }

  save(path: string): void {
    const n = this.keys.length;
    const buf = new ArrayBuffer(12 + n * 4 + n * this.dim * 4);
    const head = new Uint32Array(buf, 0, 3);
    head.set([MAGIC, this.dim, n]);
    new Int32Array(buf, 12, n).set(this.keys);
    new Float32Array(buf, 12 + n * 4, n * this.dim).set(this.data.subarray(0, n * this.dim));
    writeFileSync(path, new Uint8Array(buf));
  }

  load(path: string): void {
    const b = readFileSync(path);
    const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    const [magic, dim, n] = new Uint32Array(buf, 0, 3);
    if (magic !== MAGIC || dim !== this.dim) {
      throw new RecError('STORE_ERROR', `${path} is not a ${this.dim}-d exact index file`);
    }
    this.keys = Array.from(new Int32Array(buf, 12, n));
    this.data = new Float32Array(buf.slice(12 + n! * 4));
    this.rows = new Map(this.keys.map((k, r) => [k, r]));
  }
}
