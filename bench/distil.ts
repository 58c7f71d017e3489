/**
 * The distilled encoder against the full one it comes from, in one run (prints numbers, asserts
 * nothing):
 *
 *   npm run bench:distil -- [--db .cache/scientific.db] [--dims 256] [--sif-a 0.001] [--tune-users 2000]
 *
 * 1. imports Scientific into the store unless `fusionrec eval` did already (same database);
 * 2. item vectors from the full encoder (USE-Lite) through the embedding cache (`encoder.cachePath`:
 *    a run of `fusionrec eval --dataset scientific --models text` before fills it);
 * 3. distils it over the catalog's vocabulary (word vectors through the same cache);
 * 4. speed: the distilled encoder on Scientific's raw texts (Scientific.text), best of 3, and the
 *    encodeCatalog pipeline with it;
 * 5. quality: the eval harness's text-only model (NDCG@10, all and cold items) on both sets of item
 *    vectors, and how many of each item's 10 nearest neighbours the two agree on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openEmbeddingCache } from '../src/encode/cache.ts';
import { encodeCatalog, loadItemVectors } from '../src/encode/catalog.ts';
import { catalogTexts, createDistilledEncoder, distilEncoder } from '../src/encode/distil.ts';
import type { Encoder } from '../src/encode/types.ts';
import { createUseEncoder } from '../src/encode/use.ts';
import { runEvaluation } from '../src/eval/run.ts';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: '.cache/scientific.db' },
    data: { type: 'string', default: join(import.meta.dirname, '..', '..', 'shared', 'data', 'scientific') },
    cache: { type: 'string', default: '.cache/embeddings.db' },
    dims: { type: 'string', default: '256' },
    'sif-a': { type: 'string', default: '0.001' },
    'tune-users': { type: 'string', default: '2000' },
    'max-users': { type: 'string' },
  },
});

const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
const store = new SqliteStore(args.db);
const cache = openEmbeddingCache(store, args.cache);
const full = await createUseEncoder();
try {
  if ((await store.getMeta('eval:imported:scientific')) !== 'done') {
    log('importing scientific');
    await importDataset(store, 'scientific', args.data);
    await store.setMeta('eval:imported:scientific', 'done');
  }

  log(`item vectors from ${full.id} (cached after the first run)`);
  let t0 = performance.now();
  const fullReport = await encodeCatalog(store, full, {
    cache,
    onProgress: (p) => log(`  full: ${p.done}/${p.total}`),
  });
  const fullSeconds = (performance.now() - t0) / 1000;

  log('distilling');
  t0 = performance.now();
  const texts = await catalogTexts(store);
  const table = await distilEncoder(full, texts, {
    dims: Number(args.dims),
    sifA: Number(args['sif-a']),
    cache,
    batch: 1024,
    onProgress: (p) => log(`  words ${p.done}/${p.total}`),
  });
  const distilSeconds = (performance.now() - t0) / 1000;
  const distilled = createDistilledEncoder(table);

  // speed on the raw texts of Scientific.text
  const raw = readFileSync(join(args.data, 'Scientific.text'), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.slice(l.indexOf('\t') + 1));
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    t0 = performance.now();
    await distilled.encode(raw);
    best = Math.min(best, performance.now() - t0);
  }
  const rawRate = raw.length / (best / 1000);
  t0 = performance.now();
  const distReport = await encodeCatalog(store, distilled, { cache });
  const pipelineSeconds = (performance.now() - t0) / 1000;

  log('evaluating the text-only model on both');
  const vectorsOf = async (e: Encoder) => {
    const v = await loadItemVectors(store, e.id);
    return {
      encoder: e.id,
      vectors: new Map(v.ids.map((id, r) => [id, v.vectors.subarray(r * v.dim, (r + 1) * v.dim)])),
    };
  };
  const fullVectors = await vectorsOf(full);
  const distVectors = await vectorsOf(distilled);
  const evaluate = async (itemVectors: Awaited<ReturnType<typeof vectorsOf>>) => {
    const r = await runEvaluation(store, 'scientific', {
      models: ['text'],
      itemVectors,
      seed: 42,
      tuneCases: Number(args['tune-users']),
      ...(args['max-users'] ? { maxUsers: Number(args['max-users']) } : {}),
      configHash: 'bench-distil',
      command: 'bench/distil.ts',
      onProgress: () => {},
    });
    const groups = r.models[0]!.groups.filter((g) => g.ranking === 'full' && g.scenario === 'all');
    const metric = (slice: string, m: string) =>
      groups.find((g) => g.slice === slice)?.metrics[m] ?? Number.NaN;
    return {
      ndcg10: metric('all', 'ndcg@10'),
      hr10: metric('all', 'hr@10'),
      coldNdcg10: metric('cold-items', 'ndcg@10'),
      coldHr10: metric('cold-items', 'hr@10'),
      cases: groups.find((g) => g.slice === 'all')?.cases ?? 0,
    };
  };
  const q = { full: await evaluate(fullVectors), distilled: await evaluate(distVectors) };
  const agreement = neighbourAgreement(fullVectors.vectors, distVectors.vectors, 1000, 10);

  const f = (x: number, d = 4) => x.toFixed(d);
  console.log(`scientific: ${texts.length} items, ${q.full.cases} test cases`);
  console.log(
    `full encoder ${full.id}: item vectors in ${fullSeconds.toFixed(1)}s (${fullReport.modelTexts} texts sent to the model, ${fullReport.cacheHits} from the cache)`,
  );
  console.log(
    `distilled ${distilled.id}: ${table.tokens.length} words, ${table.dim}-d, built in ${distilSeconds.toFixed(1)}s`,
  );
  console.log(`speed, raw Scientific.text (${raw.length} texts, best of 3): ${f(rawRate, 0)} items/s`);
  console.log(
    `speed, encodeCatalog pipeline (${distReport.updated} items, store writes included): ${f(distReport.updated / pipelineSeconds, 0)} items/s`,
  );
  console.log('| encoder | NDCG@10 | HR@10 | cold-items NDCG@10 | cold-items HR@10 |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, m] of Object.entries(q))
    console.log(`| ${name} | ${f(m.ndcg10)} | ${f(m.hr10)} | ${f(m.coldNdcg10)} | ${f(m.coldHr10)} |`);
  console.log(
    `distilled / full NDCG@10: ${f((100 * q.distilled.ndcg10) / q.full.ndcg10, 1)} %; cold items: ${f((100 * q.distilled.coldNdcg10) / q.full.coldNdcg10, 1)} %`,
  );
  console.log(`10-nearest-neighbour agreement on 1000 items: ${f(100 * agreement, 1)} %`);
} finally {
  await full.close();
  await cache.close();
  await store.close();
}

/** Mean share of the k nearest neighbours (cosine) two vector sets agree on, over the first n ids. */
function neighbourAgreement(
  a: ReadonlyMap<string, Float32Array>,
  b: ReadonlyMap<string, Float32Array>,
  n: number,
  k: number,
): number {
  const ids = [...a.keys()].filter((id) => b.has(id)).sort();
  const top = (vs: ReadonlyMap<string, Float32Array>, q: string) => {
    const v = vs.get(q)!;
    return ids
      .filter((id) => id !== q)
      .map((id) => {
        const u = vs.get(id)!;
        let s = 0;
        for (let j = 0; j < v.length; j++) s += v[j]! * u[j]!;
        return [id, s] as const;
      })
      .sort((x, y) => y[1] - x[1])
      .slice(0, k)
      .map(([id]) => id);
  };
  const step = Math.max(1, Math.floor(ids.length / n));
  let sum = 0;
  let count = 0;
  for (let i = 0; i < ids.length && count < n; i += step, count++) {
    const x = new Set(top(a, ids[i]!));
    sum += top(b, ids[i]!).filter((id) => x.has(id)).length / k;
  }
  return sum / Math.max(1, count);
}
