/**
 * Vector index on the real food-kitchen item vectors: recall against exact search and cost per
 * query, for the index variants the engine can use.
 *   npm run bench:index [-- --db .cache/bench-load-food-kitchen.db --queries 300 --k 60] [--ef 64,40,32]
 * Needs a database with encoded items (`npm run bench:load` prepares one).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadItemVectors } from '../src/encode/catalog.ts';
import { ExactIndex } from '../src/index/exact.ts';
import { HnswIndex } from '../src/index/hnsw.ts';
import type { VectorIndex } from '../src/index/types.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: join(ROOT, '.cache/bench-load-food-kitchen.db') },
    encoder: { type: 'string', default: 'use-lite@0.2.0' },
    queries: { type: 'string', default: '300' },
    k: { type: 'string', default: '60' },
    // HNSW search breadths to compare (bf16 only), e.g. --ef 64,40,32; default: the storage variants
    ef: { type: 'string', default: '' },
  },
});
const k = Number(args.k);
const store = new SqliteStore(args.db!);
const { ids, dim, vectors } = await loadItemVectors(store, args.encoder!);
await store.close();
if (ids.length === 0) throw new Error(`no ${args.encoder} vectors in ${args.db}`);
const n = ids.length;
const keys = Array.from({ length: n }, (_, i) => i);

// queries like the engine's: single items (the last item) and normalised means of 5 (recent / interest)
let seed = 42;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const queries: Float32Array[] = [];
for (let q = 0; q < Number(args.queries); q++) {
  const v = new Float32Array(dim);
  const parts = q % 2 === 0 ? 1 : 5;
  for (let p = 0; p < parts; p++) {
    const r = Math.floor(rnd() * n);
    for (let d = 0; d < dim; d++) v[d]! += vectors[r * dim + d]!;
  }
  let s = 0;
  for (let d = 0; d < dim; d++) s += v[d]! * v[d]!;
  for (let d = 0; d < dim; d++) v[d]! /= Math.sqrt(s);
  queries.push(v);
}

function measure(name: string, index: VectorIndex, truth?: Set<number>[]) {
  const t0 = performance.now();
  index.add(keys, vectors);
  const build = performance.now() - t0;
  const c0 = process.cpuUsage();
  const t1 = performance.now();
  const found = queries.map((q) => index.search(q, k));
  const wall = (performance.now() - t1) / queries.length;
  const cpu = process.cpuUsage(c0);
  let recall = 1;
  if (truth) {
    let hit = 0;
    found.forEach((hits, i) => {
      for (const h of hits) if (truth[i]!.has(h.key)) hit++;
    });
    recall = hit / (queries.length * k);
  }
  console.log(
    `${name}: recall@${k} ${recall.toFixed(4)}; per query ${wall.toFixed(3)} ms wall, ${((cpu.user + cpu.system) / 1000 / queries.length).toFixed(3)} ms CPU; build ${(build / 1000).toFixed(1)} s`,
  );
  return found.map((hits) => new Set(hits.map((h) => h.key)));
}

console.log(`${n} items x ${dim} (${args.encoder}), ${queries.length} queries, k ${k}`);
const truth = measure('exact', new ExactIndex(dim));
if (args.ef) {
  for (const ef of args.ef.split(',').map(Number))
    measure(`hnsw bf16 (M 16, ef ${ef})`, new HnswIndex(dim, { expansionSearch: ef }), truth);
  process.exit(0);
}
measure('hnsw f32 (M 16, ef 64)', new HnswIndex(dim, { quantization: 'f32' }), truth);
measure('hnsw f16 (M 16, ef 64)', new HnswIndex(dim, { quantization: 'f16' }), truth);
measure('hnsw bf16 (M 16, ef 64)', new HnswIndex(dim, { quantization: 'bf16' }), truth);
measure('hnsw f16 (M 16, ef 64), again', new HnswIndex(dim, { quantization: 'f16' }), truth);
measure('hnsw bf16 (M 16, ef 64), again', new HnswIndex(dim, { quantization: 'bf16' }), truth);
