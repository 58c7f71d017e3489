/**
 * In-process engine.recommend latency on the full food-kitchen catalog, training time per dataset,
 * and how often removing an explanation's cited history item lowers the item's score.
 *   npm run bench:recommend [-- --requests 2000 --train scientific,beauty --no-text]
 * Prepares (once, in .cache/) an imported and, unless --no-text, encoded food-kitchen database;
 * text vectors come from the shared embedding cache (encoder.cachePath) when present.
 * Prints numbers; asserts nothing.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { openEmbeddingCache } from '../src/encode/cache.ts';
import { encodeCatalog } from '../src/encode/catalog.ts';
import { createEncoder } from '../src/encode/create.ts';
import type { Encoder } from '../src/encode/types.ts';
import { createEngine } from '../src/engine/create.ts';
import { explanationRemoval } from '../src/eval/explain-removal.ts';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { StoredEvent } from '../src/store/types.ts';
import { trainFromStore } from '../src/train/train.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const DATA = join(ROOT, '../shared/data');
const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: join(ROOT, '.cache/bench-recommend-food-kitchen.db') },
    requests: { type: 'string', default: '2000' },
    n: { type: 'string', default: '10' },
    train: { type: 'string', default: 'food-kitchen' },
    'explain-users': { type: 'string', default: '200' },
    'no-text': { type: 'boolean', default: false },
  },
});

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function prepare(dataset: string, db: string, config: Config, encoder: Encoder | undefined) {
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  const store = new SqliteStore(db);
  const t0 = Date.now();
  const rep = await importDataset(store, dataset, join(DATA, dataset), { once: true });
  if (!rep.skipped) console.error(`${dataset}: imported in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (encoder) {
    const cache = openEmbeddingCache(store, config.encoder.cachePath);
    try {
      const r = await encodeCatalog(store, encoder, {
        cache,
        onProgress: (p) => process.stderr.write(`\r${dataset}: encode ${p.done}/${p.total}`),
      });
      if (r.updated > 0)
        console.error(`\n${dataset}: encoded ${r.modelTexts} texts, ${r.cacheHits} from the cache`);
    } finally {
      await cache.close();
    }
  }
  return store;
}

async function main() {
  const config = loadConfig(undefined);
  const encoder = args['no-text'] ? undefined : await createEncoder(config.encoder);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), load ${loadavg()[0]!.toFixed(1)}`);
  const store = await prepare('food-kitchen', args.db!, config, encoder);
  const stats = await store.stats();
  console.log(`food-kitchen: ${stats.items} items, ${stats.users} users, ${stats.events} events`);

  // training time per dataset (each its own database under .cache/)
  for (const ds of args.train!.split(',').filter(Boolean)) {
    const s =
      ds === 'food-kitchen'
        ? store
        : await prepare(ds, join(ROOT, `.cache/bench-recommend-${ds}.db`), config, encoder);
    const r = await trainFromStore(s, config, { encoderId: encoder?.id });
    console.log(
      `train ${ds}: ${r.seconds.total.toFixed(1)} s (graphs ${r.seconds.graphs.toFixed(1)} s${r.resumed ? ' resumed' : ''}, sequential model ${r.seconds.seq.toFixed(1)} s${r.seq ? ` (${r.seq.reused ? 'reused' : `${r.seq.epochs} epochs`}, valid NDCG@10 ${r.seq.validNdcg10.toFixed(4)})` : ' (off)'}, ranker fit ${r.seconds.fit.toFixed(1)} s on ${r.validCases} valid cases; pool NDCG@10 ${r.validNdcg10.toFixed(4)} vs default weights ${r.defaultNdcg10.toFixed(4)})`,
    );
    if (s !== store) await s.close();
  }

  const t0 = performance.now();
  const engine = await createEngine(config, { store, encoder: encoder ?? null });
  console.log(`engine load: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // request mix: held-out users (history given at request time) and training users, both scenarios
  const sample: StoredEvent[] = [];
  for await (const page of store.events.pages({ limit: 50_000, splits: ['test'] })) {
    sample.push(...page);
    if (sample.length >= 400_000) break;
  }
  const trainUsers = (await store.users.list({ limit: 3000 })).map((u) => u.id);
  const requests = Number(args.requests);
  const n = Number(args.n);
  const mix = Array.from({ length: requests }, (_, i) => {
    const t = sample[i % sample.length];
    return i % 2 === 0 && t
      ? { user: t.user, scenario: t.scenario }
      : { user: trainUsers[i % trainUsers.length]!, scenario: i % 4 === 1 ? 'food' : 'kitchen' };
  });
  for (const r of mix.slice(0, 100)) await engine.recommend({ ...r, n });
  // pass 1: mostly users asked for the first time (profile built from the store, nothing memoised);
  // pass 2: the same requests again in another context (profile cached, per-profile work memoised)
  const contexts = [undefined, { device: 'mobile', hour: 8 }];
  for (const [pass, context] of contexts.entries()) {
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (const r of mix) {
      const s = performance.now();
      await engine.recommend({ ...r, n, ...(context ? { context } : {}) });
      times.push(performance.now() - s);
    }
    const cpu = process.cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    console.log(
      `recommend (n=${n}, ${requests} requests, in-process, ${encoder ? 'with' : 'without'} text; ${pass === 0 ? 'first request of each user but the first 100' : 'repeat requests, another context'}): p50 ${pct(times, 50).toFixed(2)} ms, p95 ${pct(times, 95).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(1)} ms; CPU ${((cpu.user + cpu.system) / 1000 / requests).toFixed(2)} ms/request (all threads); load ${loadavg()[0]!.toFixed(1)}`,
    );
  }

  // does removing the cited past item lower the item's score? (public API: a copy of the user without it)
  const users = [...new Map(sample.map((e) => [e.user, e])).values()].slice(0, Number(args['explain-users']));
  const removal = await explanationRemoval(engine, store, users, { prefix: 'bench-ablate' });
  console.log(
    `explanations: removing the top cited history item lowered the item's score in ${removal.lowered}/${removal.checked} cases (${((100 * removal.lowered) / Math.max(1, removal.checked)).toFixed(1)}%; ${removal.uncited} items cited no history item)`,
  );
  await engine.close();
  await store.close();
  await encoder?.close();
}

await main();
