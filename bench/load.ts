/**
 * Load benchmark on loopback: the server runs in its own process (`fusionrec serve`) over the
 * food-kitchen catalog; autocannon drives it from this process.
 *   npm run bench:load [-- --duration 15 --connections 10] [--db file --no-prepare] [--rate 1000] [--zipf-warmup 15]
 *   npm run bench:load -- --only controls [--filter '<expr>' --promote '<expr>' --slots 2]
 * Prints /recommend req/s and latency percentiles, and batched POST /events/batch events/s. The
 * `controls` phase runs the recommend mix plain and with a filter and a promotion, side by side.
 * Prepares (once, cached in .cache/) the imported and encoded food-kitchen database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config/load.ts';
import { openEmbeddingCache } from '../src/encode/cache.ts';
import { encodeCatalog } from '../src/encode/catalog.ts';
import { createEncoder } from '../src/encode/create.ts';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { childrenOf, mix, report, run, zipfSample } from './load-lib.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(ROOT, '../shared/data/food-kitchen') },
    db: { type: 'string', default: join(ROOT, '.cache/bench-load-food-kitchen.db') },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '10' },
    batch: { type: 'string', default: '1000' },
    // skip the import/encode step and serve --db as it is (e.g. the demo database)
    'no-prepare': { type: 'boolean', default: false },
    // server processes (fusionrec serve --workers)
    workers: { type: 'string', default: '1' },
    // extra node flags for the server process, e.g. --server-node-args=--cpu-prof
    'server-node-args': { type: 'string', default: '' },
    // run only these phases (comma list of recommend,miss,items,events); all by default
    only: { type: 'string', default: '' },
    // Zipf exponent of the users' request rates in the zipf phase
    'zipf-s': { type: 'string', default: '1' },
    // offered load of the zipf phase in req/s (0 = as fast as the connections go): latency at a
    // fixed rate, corrected for coordinated omission by autocannon
    rate: { type: 'string', default: '0' },
    // seconds of the same Zipf traffic before the measured zipf phase (not reported): the phase
    // then measures a server in steady state rather than one filling its profile cache
    'zipf-warmup': { type: 'string', default: '0' },
    // the controls phase: the recommend mix with this filter and promotion vs without
    filter: { type: 'string', default: 'available and not (title contains "sugar")' },
    promote: { type: 'string', default: 'title contains "chocolate"' },
    slots: { type: 'string', default: '2' },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const batchSize = Number(args.batch);

/** one updating line on a terminal; only the last line in a log */
let pending = '';
function progress(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
  else pending = line;
}
process.on('exit', () => {
  if (pending) console.error(pending);
});

async function requestMix(store: SqliteStore) {
  const users = (await store.users.list({ limit: 5000 })).map((u) => u.id);
  // users never asked for recommendations in this run: their profiles are not in the engine's cache;
  // the first 20,000 serve the cache-miss recommend phase, the rest the cold events phase
  const others = (await store.users.list({ afterId: users[users.length - 1]!, limit: 25_000 })).map(
    (u) => u.id,
  );
  const missUsers = others.slice(0, 20_000);
  const coldUsers = others.slice(20_000);
  const items: { id: string; scenario: string }[] = [];
  const scenarios = (await store.scenarios.list()).map((s) => s.id);
  for (const scenario of scenarios) {
    for (const it of await store.items.list({ scenario, limit: 2000 })) items.push({ id: it.id, scenario });
  }
  const stats = await store.stats();
  console.error(`catalog: ${stats.items} items, ${stats.users} users, ${stats.events} events`);
  return {
    users,
    missUsers: missUsers.length ? missUsers : users,
    coldUsers: coldUsers.length ? coldUsers : users,
    items,
    scenarios,
  };
}

async function prepare(): Promise<Awaited<ReturnType<typeof requestMix>>> {
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  const config = loadConfig();
  const store = new SqliteStore(args.db!);
  try {
    if (args['no-prepare']) return await requestMix(store);
    const t0 = Date.now();
    const rep = await importDataset(store, 'food-kitchen', args.data!, {
      once: true,
      onProgress: (p) => progress(`import: ${JSON.stringify(p).slice(0, 100)}`),
    });
    if (!rep.skipped) console.error(`\nimported food-kitchen in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const encoder = await createEncoder(config.encoder);
    const cache = openEmbeddingCache(store, config.encoder.cachePath);
    try {
      const t1 = Date.now();
      const r = await encodeCatalog(store, encoder, {
        cache,
        onProgress: (p) => progress(`encode: ${p.done}/${p.total} items`),
      });
      console.error(
        `\nencoded: ${r.updated} computed (${r.modelTexts} by the model, ${r.cacheHits} cached), ${r.unchanged} unchanged, ${((Date.now() - t1) / 1000).toFixed(1)} s`,
      );
    } finally {
      await cache.close();
      await encoder.close();
    }
    const mix = await requestMix(store);
    await store.checkpoint();
    return mix;
  } finally {
    await store.close();
  }
}

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      ...(args['server-node-args'] ? args['server-node-args'].split(' ') : []),
      join(ROOT, 'bin/fusionrec.js'),
      'serve',
      '--db',
      args.db!,
      '--port',
      '0',
      '--log-level',
      'error',
      '--workers',
      args.workers!,
    ],
    {
      env: { ...process.env, FUSIONREC_SERVER__RATE_LIMIT_PER_MINUTE: '0' },
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /API:\s+(http:\/\/\S+)\/v1/.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('close', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

/** the server's process ids (the process, and its workers under --workers N) */
let serverPids: () => number[] = () => [];

/**
 * The events phases post synthetic views; left in the database they would pile up run after run
 * (80 extra events per user of the recommend mix after a dozen runs) and make every later
 * recommend phase slower and its profiles noise. Removed before and after each run.
 */
function removeLoadEvents(): void {
  const db = new Database(args.db!);
  try {
    const r = db.prepare("DELETE FROM events WHERE id LIKE 'load-%'").run();
    if (r.changes > 0) console.error(`removed ${r.changes} events of earlier load runs`);
  } finally {
    db.close();
  }
}

const phases = new Set((args.only || 'recommend,zipf,miss,items,events').split(','));
// `controls` runs only when asked for: it is a comparison, not part of the service's own numbers
const { users, missUsers, coldUsers, items, scenarios } = await prepare();
if (!existsSync(args.db!)) throw new Error('no bench database');
removeLoadEvents();
const { child, url } = await startServer();
serverPids = () => (child.pid ? [child.pid, ...childrenOf(child.pid)] : []);
const measure = (opts: autocannon.Options) => run(opts, serverPids());
try {
  const contexts = [
    { device: 'mobile', hour: 8 },
    { device: 'desktop', hour: 14 },
    { device: 'tv', hour: 21 },
  ];
  /** POST /v1/recommend, the n-th request of the phase for `pick(n)`, contexts in turn */
  const recommendPhase = (
    pick: (n: number) => { user: string; scenario: string },
    extra: Record<string, unknown> = {},
  ): autocannon.Options => {
    let n = 0;
    return {
      url,
      connections,
      duration,
      requests: [
        {
          method: 'POST',
          path: '/v1/recommend',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => {
            const k = n++;
            return {
              ...req,
              body: JSON.stringify({ ...pick(k), n: 10, context: contexts[k % contexts.length], ...extra }),
            };
          },
        },
      ],
    };
  };
  const inTurn = (who: readonly string[]) => (n: number) => ({
    user: who[n % who.length]!,
    scenario: scenarios[n % scenarios.length]!,
  });
  const recommend = recommendPhase(inTurn(users));
  console.error(`warm-up 3 s against ${url} ...`);
  await measure({ ...recommend, duration: 3 });
  const rec = phases.has('recommend') ? await measure(recommend) : undefined;
  // business controls: the same mix plain, then with a filter and a promotion (same users, order)
  const controls = { filter: args.filter!, promote: { filter: args.promote!, slots: Number(args.slots) } };
  const plainSide = phases.has('controls') ? await measure(recommendPhase(inTurn(users))) : undefined;
  const controlSide = phases.has('controls')
    ? await measure(recommendPhase(inTurn(users), controls))
    : undefined;
  // traffic as sites see it: a few users ask often, most rarely (Zipf, s = 1, over the same users)
  const zipfUsers = zipfSample(users, 200_000, Number(args['zipf-s']), 42);
  const lastAsked = new Map<string, number>();
  let repeats = 0;
  let zi = 0;
  const zipfRun = recommendPhase((n) => {
    zi = n + 1;
    const user = zipfUsers[n % zipfUsers.length]!;
    const scenario = scenarios[(n * 7 + user.length) % scenarios.length]!;
    const key = `${user}\t${scenario}`;
    const now = Date.now();
    if (now - (lastAsked.get(key) ?? Number.NEGATIVE_INFINITY) < 30_000) repeats++;
    lastAsked.set(key, now);
    return { user, scenario };
  });
  const rate = Number(args.rate);
  const zipfOpts = rate > 0 ? { ...zipfRun, overallRate: rate } : zipfRun;
  const zipfWarmup = Number(args['zipf-warmup']);
  let zipfFrom = 0;
  if (phases.has('zipf') && zipfWarmup > 0) {
    await measure({ ...zipfOpts, duration: zipfWarmup });
    // the repeat share printed is the measured phase's
    repeats = 0;
    zipfFrom = zi;
  }
  const zipf = phases.has('zipf') ? await measure(zipfOpts) : undefined;
  // the cache-miss case: every request a user not asked for before (profile built from the store)
  const miss = phases.has('miss') ? await measure(recommendPhase(inTurn(missUsers))) : undefined;
  // the service layer alone (HTTP, keys, validation, one store read; no engine): its ceiling here
  let j = 0;
  const baseline = !phases.has('items')
    ? undefined
    : await measure({
        url,
        connections,
        duration: Math.min(duration, 10),
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({ ...req, path: `/v1/items/${items[j++ % items.length]!.id}` }),
          },
        ],
      });

  let seq = 0;
  const runId = Date.now().toString(36);
  const eventLoad = (who: readonly string[]): autocannon.Options => ({
    url,
    connections: 4,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/v1/events/batch',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const now = Date.now();
          const batch = Array.from({ length: batchSize }, () => {
            const k = seq++;
            // users, items and ids in no order, as a live stream brings them: every insert then
            // lands on another page of each index
            const it = items[mix(k, 1) % items.length]!;
            return {
              id: `load-${runId}-${mix(k, 2).toString(16)}${k.toString(16)}`,
              user: who[mix(k, 3) % who.length],
              item: it.id,
              scenario: it.scenario,
              type: 'view',
              ts: now,
            };
          });
          return { ...req, body: JSON.stringify({ events: batch }) };
        },
      },
    ],
  });
  const evCold = phases.has('events') ? await measure(eventLoad(coldUsers)) : undefined;
  const evWarm = phases.has('events') ? await measure(eventLoad(users)) : undefined;

  console.log(`\nfusionrec load benchmark (loopback, autocannon; server in its own process)`);
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; shared with other work while measuring`,
  );
  console.log(`server: fusionrec serve --workers ${args.workers}`);
  console.log(
    `catalog: ${args.db}; ${users.length} distinct users and ${scenarios.length} scenarios in the request mix`,
  );
  report(
    `POST /v1/recommend (n=10, ${connections} connections; ${users.length} users in turn, each asked every ${users.length} requests)`,
    rec,
  );
  report(`POST /v1/recommend plain (n=10, ${connections} connections; the controls phase)`, plainSide);
  report(
    `POST /v1/recommend with filter ${JSON.stringify(args.filter)} and promote ${JSON.stringify(args.promote)} x ${args.slots} slots (same mix)`,
    controlSide,
  );
  if (plainSide && controlSide)
    console.log(
      `controls vs plain: p99 ${controlSide.latency.p99} vs ${plainSide.latency.p99} ms (${((100 * controlSide.latency.p99) / Math.max(plainSide.latency.p99, 1e-9) - 100).toFixed(0)}%), p50 ${controlSide.latency.p50} vs ${plainSide.latency.p50} ms`,
    );
  report(
    `POST /v1/recommend (n=10, ${connections} connections${rate > 0 ? `, offered ${rate} req/s` : ''}${zipfWarmup > 0 ? `, after ${zipfWarmup} s of the same traffic` : ''}; Zipf s=${args['zipf-s']} over ${users.length} users, ${scenarios.length} scenarios, ${contexts.length} contexts; ${zi > zipfFrom ? ((100 * repeats) / (zi - zipfFrom)).toFixed(0) : 0}% of requests repeat a (user, scenario) asked in the previous 30 s, in another context a third of the time or more)`,
    zipf,
  );
  report(
    `POST /v1/recommend (n=10, ${connections} connections; every request a user not asked before, ${missUsers.length} available${(miss?.requests.total ?? 0) > missUsers.length ? ', WRAPPED: some repeat' : ''})`,
    miss,
  );
  report(
    `GET /v1/items/:id (service layer + one store read, no engine; ${connections} connections)`,
    baseline,
  );
  report(
    `POST /v1/events/batch (${batchSize} events/request, 4 connections; users without a cached profile)`,
    evCold,
    batchSize,
  );
  report(
    `POST /v1/events/batch (${batchSize} events/request, 4 connections; users of the recommend mix, profiles cached and updated)`,
    evWarm,
    batchSize,
  );
} finally {
  child.kill('SIGINT');
  await new Promise((r) => child.on('close', r));
  removeLoadEvents();
}
