/**
 * Boot time of an engine (what `fusionrec serve` does before it listens) over a store of ~1M
 * events, embedded (SQLite) and distributed (PostgreSQL) in one run: food-kitchen's 36k items and
 * ~400k events, the events repeated under new event and user ids until the log holds --events
 * (bench/boot-store.ts; built once and cached in .cache/, with a model version trained on it),
 * then copied into a fresh PostgreSQL database (`fusionrec_bench_boot_<random>` on the --pg
 * server, dropped after). No encoder: the store holds no text vectors, so the boot reads no
 * language model.
 *   npm run bench:boot [-- --events 1000000 --tail 10000 --text --cold --backends sqlite,postgres]
 * Prints for each backend, each boot a fresh engine over a freshly opened store:
 *   cold      (--cold) no boot snapshot: the events since the model's training folded from the whole log
 *   cold+save the same, saving the snapshot
 *   snapshot  the snapshot plus a tail of --tail events added after it (twice)
 * with the time of each boot step and the time to the first answer; then a real `fusionrec serve`
 * process over the snapshot (which also starts the text encoder): from spawn to the first 200 of
 * POST /v1/recommend (with --cold also without a snapshot). With --text, also boots with text
 * vectors: random unit 512-d vectors (USE Lite's size; written once into the store under the
 * encoder id `bench-random-512`) for every item, so the boot reads them and builds the
 * per-scenario HNSW indices as with encoded items: the first reads the vectors row by row and
 * saves them as one matrix with the indices, the second reads both back. Each in-process boot
 * prints its wall time and this process's CPU time (the database server's is not in it), and the
 * load average beside it: on a shared machine the load moves the wall times far more than the CPU.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseConfig } from '../src/config/load.ts';
import { vectorBytes } from '../src/encode/cache.ts';
import { itemVectorNamespace } from '../src/encode/catalog.ts';
import type { Encoder } from '../src/encode/types.ts';
import { BOOT_NAMESPACE, dropSnapshot } from '../src/engine/boot.ts';
import { createEngine } from '../src/engine/create.ts';
import type { SwappableEngine } from '../src/engine/swap.ts';
import { rowKeys, withStamp } from '../src/store/derived/matrix.ts';
import { PostgresStore } from '../src/store/postgres.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';
import { copyToPostgres, prepareBootStore } from './boot-store.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(ROOT, '../shared/data/food-kitchen') },
    events: { type: 'string', default: '1000000' },
    tail: { type: 'string', default: '10000' },
    text: { type: 'boolean', default: false },
    cold: { type: 'boolean', default: false },
    backends: { type: 'string', default: 'sqlite,postgres' },
    pg: {
      type: 'string',
      default: `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`,
    },
  },
});
const target = Number(args.events);
const tail = Number(args.tail);
const db = join(ROOT, `.cache/bench-boot-${target}.db`);
const input = {
  store: { url: db },
  train: { tuneGraph: false, fitCases: 200, heldOutCases: 200, decays: [0.8], threads: 1 },
  seq: { enabled: false },
  engine: { modelPollSeconds: 0, snapshotSeconds: 0 },
};
const config = parseConfig(input);
// the serve process needs the same train settings, or the model would be stale for it
const configFile = join(ROOT, '.cache/bench-boot.config.json');
mkdirSync(join(ROOT, '.cache'), { recursive: true });
writeFileSync(configFile, JSON.stringify(input));
await prepareBootStore(db, args.data!, target, config, (l) => console.error(l));

const TAIL_USERS = 200;
const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;

const RANDOM_ENCODER: Encoder = {
  id: 'bench-random-512',
  dim: 512,
  encode: () => Promise.reject(new Error('the bench encoder only names stored vectors')),
  close: async () => {},
};

/** seeded random unit vectors for every item, written once (with the rows' stamp, as encoding does) */
async function writeRandomVectors(store: Store): Promise<void> {
  const ns = itemVectorNamespace(RANDOM_ENCODER.id);
  const ids: string[] = [];
  for await (const page of store.items.pages({ limit: 5000 })) ids.push(...page.map((i) => i.id));
  if ((await rowKeys(store.blobs, ns)).length === ids.length) return;
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  for (let at = 0; at < ids.length; at += 2000) {
    await store.blobs.put(
      ns,
      withStamp(
        ids.slice(at, at + 2000).map((id) => {
          const v = Float32Array.from({ length: 512 }, rand);
          const norm = Math.hypot(...v);
          for (let d = 0; d < v.length; d++) v[d]! /= norm;
          return { key: id, value: vectorBytes(v) };
        }),
      ),
    );
  }
}

interface Backend {
  name: string;
  open(): Promise<Store>;
  /** the config file a `serve` process reads */
  configFile: string;
}

/** the boots' times by label, for the summary */
const results: { backend: string; label: string; boot: number; cpu?: number; load: number }[] = [];
const load = () => loadavg()[0]!;

async function boot(
  b: Backend,
  label: string,
  snapshotEvents: number,
  encoder: Encoder | null = null,
): Promise<void> {
  const store = await b.open();
  const phases: string[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const engine = (await createEngine(
    { ...config, engine: { ...config.engine, snapshotEvents } },
    { store, encoder, onBootPhase: (p, t) => phases.push(`${p} ${t.toFixed(0)}`) },
  )) as SwappableEngine;
  const booted = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1000;
  const r = await engine.recommend({ user: '1', scenario: 'food', n: 10 });
  const first = performance.now() - t0;
  const s = engine.bootReport;
  results.push({ backend: b.name, label, boot: booted, cpu, load: load() });
  console.log(
    `${label.padEnd(9)} boot ${ms(booted)} (CPU ${ms(cpu).trim()})  first answer ${ms(first)}  (${s?.from ?? 'no model'}, ${s?.folded ?? 0} events folded${s?.saved ? ', snapshot saved' : ''}; model ${r.modelVersion}; load ${load().toFixed(1)})`,
  );
  console.log(`          ${phases.join(' | ')}`);
  await engine.close();
  await store.close();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `fusionrec serve` from spawn to its first answer */
async function serveBoot(b: Backend, label: string, snapshotEvents: number): Promise<void> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/fusionrec.js'),
      '-c',
      b.configFile,
      'serve',
      '--port',
      String(port),
      '--log-level',
      'silent',
    ],
    { env: { ...process.env, FUSIONREC_ENGINE__SNAPSHOT_EVENTS: String(snapshotEvents) }, stdio: 'ignore' },
  );
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/recommend`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: '1', scenario: 'food', n: 10 }),
        });
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    const t = performance.now() - t0;
    results.push({ backend: b.name, label, boot: t, load: load() });
    console.log(
      `${label.padEnd(9)} first answer ${ms(t)}  (fusionrec serve process, from spawn; load ${load().toFixed(1)})`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** the tail's users and what they left: erased, with the snapshot that counted them */
async function eraseTail(b: Backend): Promise<void> {
  const store = await b.open();
  try {
    for (let u = 0; u < TAIL_USERS; u++) await store.deleteUser(`bench-tail-u${u}`);
    await dropSnapshot(store);
    await store.blobs.delete(BOOT_NAMESPACE, await store.blobs.keys(BOOT_NAMESPACE));
  } finally {
    await store.close();
  }
}

async function series(b: Backend): Promise<void> {
  await eraseTail(b);
  const store = await b.open();
  console.log(
    `${b.name}: ${(await store.events.count()).toLocaleString('en-US')} events, ${(await store.items.count()).toLocaleString('en-US')} items; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  await store.close();
  if (args.cold) await boot(b, 'cold', 0);
  await boot(b, 'cold+save', 1);
  // a tail after the snapshot, under users of its own, erased at the end
  const adder = await b.open();
  const items = await adder.items.list({ scenario: 'food', limit: 2000 });
  const now = Date.now();
  await adder.events.add(
    Array.from({ length: tail }, (_, k) => ({
      id: `bench-tail-${k}`,
      user: `bench-tail-u${k % TAIL_USERS}`,
      item: items[(k * 7) % items.length]!.id,
      scenario: 'food',
      type: 'purchase',
      ts: now + k,
    })),
  );
  await adder.close();
  try {
    await boot(b, 'snapshot', 0);
    await boot(b, 'snapshot', 0);
    if (args.text) {
      const writer = await b.open();
      await writeRandomVectors(writer);
      await writer.close();
      // the first builds the HNSW indices and saves them with the snapshot and the vector matrix,
      // the second reads both back
      await boot(b, 'text+save', 1, RANDOM_ENCODER);
      await boot(b, 'text', 0, RANDOM_ENCODER);
    }
    await serveBoot(b, 'serve', 0);
    if (args.cold) {
      const dropper = await b.open();
      await dropSnapshot(dropper);
      await dropper.close();
      await serveBoot(b, 'serve cold', 0);
    }
  } finally {
    await eraseTail(b);
  }
}

const backends = args.backends!.split(',');
for (const name of backends)
  if (name !== 'sqlite' && name !== 'postgres')
    throw new Error(`--backends: unknown backend ${name} (sqlite, postgres)`);
if (backends.includes('sqlite'))
  await series({ name: 'sqlite', open: async () => new SqliteStore(db), configFile });
if (backends.includes('postgres')) {
  const pgDb = `fusionrec_bench_boot_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: args.pg });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pgDb}`);
  try {
    const u = new URL(args.pg!);
    u.pathname = `/${pgDb}`;
    const url = u.toString();
    const copy = await PostgresStore.open(url);
    try {
      await copyToPostgres(db, copy, (l) => console.error(l));
    } finally {
      await copy.close();
    }
    const pgConfig = join(ROOT, '.cache/bench-boot.pg.config.json');
    writeFileSync(pgConfig, JSON.stringify({ ...input, store: { url } }));
    await series({ name: 'postgres', open: () => PostgresStore.open(url), configFile: pgConfig });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
    await admin.end();
  }
}
console.log("\nboot by backend (wall; CPU of this process, the database server's not in it):");
for (const r of results)
  console.log(
    `  ${r.backend.padEnd(8)} ${r.label.padEnd(10)} ${ms(r.boot)}${r.cpu === undefined ? '' : `  CPU ${ms(r.cpu)}`}  (load ${r.load.toFixed(1)})`,
  );
