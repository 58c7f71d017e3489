/** One contract suite for every VectorIndex implementation. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { VectorIndex } from './types.ts';

/** seeded unit vectors so failures reproduce */
export function unitVectors(n: number, dim: number, seed = 7): Float32Array {
  let s = seed;
  const rnd = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = rnd();
      out[i * dim + d] = v;
      norm += v * v;
    }
    for (let d = 0; d < dim; d++) out[i * dim + d]! /= Math.sqrt(norm);
  }
  return out;
}

/**
 * `scoreTolerance`: how far a returned score may sit from the exact dot product (an index that
 * stores half-precision vectors answers with half-precision scores).
 */
export function vectorIndexContract(
  name: string,
  make: (dim: number) => VectorIndex,
  scoreTolerance = 1e-4,
): void {
  describe(`VectorIndex contract: ${name}`, () => {
    const dim = 32;
    const n = 500;
    const data = unitVectors(n, dim);
    const keys = Array.from({ length: n }, (_, i) => i * 3 + 1);
    const row = (i: number) => data.slice(i * dim, (i + 1) * dim);

    it('finds each vector as its own nearest neighbour, best first, at most k', () => {
      const idx = make(dim);
      idx.add(keys, data);
      assert.equal(idx.size(), n);
      for (const i of [0, 17, 250, 499]) {
        const hits = idx.search(row(i), 10);
        assert.equal(hits.length, 10);
        assert.equal(hits[0]!.key, keys[i]);
        assert.ok(Math.abs(hits[0]!.score - 1) < scoreTolerance, `score ${hits[0]!.score}`);
        for (let h = 1; h < hits.length; h++) assert.ok(hits[h - 1]!.score >= hits[h]!.score);
      }
    });

    it('removes keys and replaces a re-added key', () => {
      const idx = make(dim);
      idx.add(keys, data);
      idx.remove([keys[5]!]);
      assert.equal(idx.size(), n - 1);
      assert.ok(!idx.search(row(5), 20).some((h) => h.key === keys[5]));
      // key of row 6 now carries row 7's vector
      idx.add([keys[6]!], row(7));
      assert.equal(idx.size(), n - 1);
      const top = idx.search(row(7), 2).map((h) => h.key);
      assert.ok(top.includes(keys[6]!));
    });

    it('saves and loads the same answers', () => {
      const dir = mkdtempSync(join(tmpdir(), 'vidx-'));
      try {
        const idx = make(dim);
        idx.add(keys, data);
        idx.save(join(dir, 'i.bin'));
        const back = make(dim);
        back.load(join(dir, 'i.bin'));
        assert.equal(back.size(), n);
        assert.deepEqual(
          back.search(row(3), 5).map((h) => h.key),
          idx.search(row(3), 5).map((h) => h.key),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('answers a batch of queries exactly as one search per query', () => {
      const idx = make(dim);
      idx.add(keys, data);
      const queries = [row(2), row(40), row(499)];
      const batch = idx.searchMany(queries, 7);
      assert.equal(batch.length, 3);
      queries.forEach((q, i) => {
        assert.deepEqual(batch[i], idx.search(q, 7));
      });
      assert.equal(batch[1]![0]!.key, keys[40]);
      assert.deepEqual(idx.searchMany([], 7), []);
      assert.deepEqual(make(dim).searchMany([row(0), row(1)], 3), [[], []]);
    });

    it('returns nothing from an empty index and caps k at its size', () => {
      const idx = make(dim);
      assert.deepEqual(idx.search(row(0), 5), []);
      idx.add(keys.slice(0, 3), data.slice(0, 3 * dim));
      assert.equal(idx.search(row(0), 10).length, 3);
    });
  });
}
