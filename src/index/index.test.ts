import assert from 'node:assert/strict';
import { it } from 'node:test';
import { unitVectors, vectorIndexContract } from './contract.ts';
import { ExactIndex } from './exact.ts';
import { HnswIndex } from './hnsw.ts';

vectorIndexContract('exact', (dim) => new ExactIndex(dim));
// f16 storage: scores to about 3 decimals
vectorIndexContract('hnsw (usearch, f16)', (dim) => new HnswIndex(dim), 2e-3);
vectorIndexContract('hnsw (usearch, f32)', (dim) => new HnswIndex(dim, { quantization: 'f32' }));

it('HNSW recall@10 against exact search is at least 0.9', () => {
  const dim = 64;
  const n = 3000;
  const data = unitVectors(n, dim, 11);
  const keys = Array.from({ length: n }, (_, i) => i);
  const exact = new ExactIndex(dim);
  const hnsw = new HnswIndex(dim);
  exact.add(keys, data);
  hnsw.add(keys, data);
  const queries = unitVectors(50, dim, 99);
  let found = 0;
  for (let q = 0; q < 50; q++) {
    const query = queries.slice(q * dim, (q + 1) * dim);
    const truth = new Set(exact.search(query, 10).map((h) => h.key));
    found += hnsw.search(query, 10).filter((h) => truth.has(h.key)).length;
  }
  assert.ok(found / 500 >= 0.9, `recall ${found / 500}`);
});
