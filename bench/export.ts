/**
 * Batch export (`fusionrec export-recs`) of every food-kitchen test user in both scenarios: users
 * per second in worker threads, and whether the lines are the answers of POST /v1/recommend for a
 * seeded sample of them.
 *   npm run bench:export [-- --db fk.db --workers 2 --sample 50 --n 10]
 * Without --db it prepares (once, in .cache/) an imported food-kitchen database trained without
 * text and without the sequential model. Prints numbers; asserts nothing.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportRecs } from '../src/cli/export-recs.ts';
import { loadConfig, parseConfig } from '../src/config/load.ts';
import { seededSample } from '../src/core/rng.ts';
import { importDataset } from '../src/ingest/index.ts';
import { openRuntime, startServer } from '../src/serve/runtime.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { trainFromStore } from '../src/train/train.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    workers: { type: 'string', default: '2' },
    sample: { type: 'string', default: '50' },
    n: { type: 'string', default: '10' },
    scenarios: { type: 'string', default: 'food,kitchen' },
  },
});

const base = loadConfig(undefined);
const db = args.db ?? join(ROOT, '.cache/bench-export-food-kitchen.db');
const config = parseConfig({
  ...base,
  store: { ...base.store, url: `sqlite://${db}` },
  seq: { ...base.seq, enabled: false },
  server: { ...base.server, host: '127.0.0.1', port: 0, rateLimitPerMinute: 0 },
});

if (!existsSync(db)) {
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  const store = new SqliteStore(db);
  const t0 = Date.now();
  await importDataset(store, 'food-kitchen', join(ROOT, '../shared/data/food-kitchen'), { once: true });
  await trainFromStore(store, config, {});
  console.log(
    `prepared ${db}: import + train (no text, no sequential model) ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  await store.close();
}

// the test users: those with a held-out target
const store = new SqliteStore(db);
const testUsers = new Set<string>();
for await (const page of store.events.pages({ limit: 20_000, splits: ['test'] }))
  for (const e of page) testUsers.add(e.user);
await store.close();
const users = [...testUsers].sort();
const n = Number(args.n);
const workers = Number(args.workers);
console.log(
  `food-kitchen: ${users.length} test users; ${workers} workers, n=${n}; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
);

const dir = join(tmpdir(), `bench-export-${process.pid}`);
mkdirSync(dir, { recursive: true });
const outs = new Map<string, string>();
for (const scenario of args.scenarios.split(',')) {
  const out = join(dir, `${scenario}.jsonl`);
  rmSync(out, { force: true });
  const r = await exportRecs({ config, scenario, n, out, users, workers });
  const rate = r.written / (r.seconds - r.loadSeconds);
  console.log(
    `export ${scenario}: ${r.written} users in ${r.seconds.toFixed(1)} s (${r.loadSeconds.toFixed(1)} s loading ${workers} engines): ${rate.toFixed(1)} users/s`,
  );
  outs.set(scenario, out);
}

// the same users' answers over HTTP, from a server on the same store
const rt = await openRuntime(config);
const server = await startServer(rt);
const picked = seededSample(users, Math.min(Number(args.sample), users.length), 7);
for (const [scenario, out] of outs) {
  const lines = new Map(
    readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const v = JSON.parse(l) as { user: string; items: { item: string; score: number }[] };
        return [v.user, v.items] as const;
      }),
  );
  let same = 0;
  for (const user of picked) {
    const res = await fetch(`${server.url}/v1/recommend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, scenario, n }),
    });
    const body = (await res.json()) as { items: { item: string; score: number }[] };
    const api = JSON.stringify(body.items.map((i) => [i.item, i.score]));
    const file = JSON.stringify((lines.get(user) ?? []).map((i) => [i.item, i.score]));
    if (api === file) same++;
    else console.log(`  differs for ${user}: api ${api.slice(0, 120)} file ${file.slice(0, 120)}`);
  }
  console.log(
    `identical to POST /v1/recommend (items and scores): ${same}/${picked.length} sampled users in ${scenario}`,
  );
}
await server.close();
await rt.close();
rmSync(dir, { recursive: true, force: true });
