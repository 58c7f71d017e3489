/**
 * What the serving path gives up against its cost: `engine.recommend` (retrieval of
 * `engine.candidates` items, then the ranker) on the held-out test events of an imported dataset,
 * for several candidate-pool sizes. Prints served NDCG@10 / HR@10 (the test item among the n = 10
 * served, diversity 0, consumed items skipped) and the CPU of a user's first request (profile built
 * from the store, candidates retrieved and scored), per pool size.
 *   node --import tsx bench/served.ts [--db .cache/bench-recommend-food-kitchen.db] [--candidates 300,150,100] [--users 937] [--search-expansion 64,40]
 * The evaluation harness ranks the whole scenario instead (`fusionrec eval`); this measures what
 * retrieval loses on the way. Prints numbers; asserts nothing.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { createEncoder } from '../src/encode/create.ts';
import { createEngine } from '../src/engine/create.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: join(ROOT, '.cache/bench-recommend-food-kitchen.db') },
    candidates: { type: 'string', default: '300,150,100' },
    // HNSW search breadths to serve with (engine.searchExpansion), e.g. 64,40; default: the config's
    'search-expansion': { type: 'string', default: '' },
    users: { type: 'string', default: '1000' },
    // requests per CPU pass (users of the store, each a candidate miss with a cached profile)
    requests: { type: 'string', default: '800' },
  },
});

const store = new SqliteStore(args.db!);
const base = loadConfig(undefined);
const encoder = await createEncoder(base.encoder);
try {
  const tests: { user: string; item: string; scenario: string }[] = [];
  for await (const page of store.events.pages({ limit: 50_000, splits: ['test'] })) {
    for (const e of page) tests.push({ user: e.user, item: e.item, scenario: e.scenario });
    if (tests.length >= Number(args.users)) break;
  }
  const sample = tests.slice(0, Number(args.users));
  if (sample.length === 0)
    throw new Error(`${args.db} has no test-split events (import a dataset with its splits)`);
  const scenarios = [...new Set(sample.map((t) => t.scenario))];
  const asked = new Set(sample.map((t) => t.user));
  const others = (await store.users.list({ limit: Number(args.requests) + asked.size }))
    .filter((u) => !asked.has(u.id))
    .slice(0, Number(args.requests))
    .map((u, i) => ({ user: u.id, scenario: scenarios[i % scenarios.length]! }));
  console.log(
    `machine: ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}; ${args.db}; ${sample.length} test events, ${others.length} requests per CPU pass`,
  );
  const expansions = args['search-expansion']
    ? args['search-expansion'].split(',').map(Number)
    : [base.engine.searchExpansion];
  for (const [k, ef] of args
    .candidates!.split(',')
    .flatMap((k) => expansions.map((ef) => [Number(k), ef] as const))) {
    const config = { ...base, engine: { ...base.engine, candidates: k, searchExpansion: ef } };
    const engine = await createEngine(config, { store, encoder: encoder ?? null });
    try {
      let ndcg = 0;
      let hr = 0;
      for (const t of sample) {
        const r = await engine.recommend({ user: t.user, scenario: t.scenario, n: 10, diversity: 0 });
        const pos = r.items.findIndex((i) => i.item === t.item);
        if (pos >= 0) {
          ndcg += 1 / Math.log2(pos + 2);
          hr++;
        }
      }
      // first requests of users not asked before (profile built from the store, nothing kept)
      const c0 = process.cpuUsage();
      for (const r of others) await engine.recommend({ ...r, n: 10 });
      const cpu = process.cpuUsage(c0);
      console.log(
        `candidates ${k}, search expansion ${ef}: served NDCG@10 ${(ndcg / sample.length).toFixed(4)}, HR@10 ${(hr / sample.length).toFixed(4)}; CPU ${((cpu.user + cpu.system) / 1000 / others.length).toFixed(2)} ms per first request of a user (load ${loadavg()[0]!.toFixed(1)})`,
      );
    } finally {
      await engine.close();
    }
  }
} finally {
  await store.close();
  await encoder?.close();
}
