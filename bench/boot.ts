/**
 * Boot time of an engine (what `fusionrec serve` does before it listens) over a store of ~1M
 * events: food-kitchen's 36k items and ~400k events, the events repeated under new event and user
 * ids until the log holds --events (bench/boot-store.ts; built once and cached in .cache/, with a
 * model version trained on it). No encoder: the store holds no text vectors, so the boot reads no
 * language model.
 *   npm run bench:boot [-- --events 1000000 --tail 10000]
 * Prints, each as a fresh engine over a freshly opened store (the OS file cache is warm for all):
 *   cold      no boot snapshot: the events since the model's training folded from the whole log
 *   snapshot  the snapshot plus a tail of --tail events added after it
 * with the time of each boot step and the time to the first answer; then the same two as a real
 * `fusionrec serve` process (which also starts the text encoder): from spawn to the first 200 of
 * POST /v1/recommend. With --text, also a boot with text vectors: random unit 512-d vectors (USE
 * Lite's size; written once into the store under the encoder id `bench-random-512`) for every
 * item, so the boot reads them and builds the per-scenario HNSW indices as with encoded items.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.ts';
import { vectorBytes } from '../src/encode/cache.ts';
import { itemVectorNamespace } from '../src/encode/catalog.ts';
import type { Encoder } from '../src/encode/types.ts';
import { BOOT_NAMESPACE, dropSnapshot } from '../src/engine/boot.ts';
import { createEngine } from '../src/engine/create.ts';
import type { SwappableEngine } from '../src/engine/swap.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { prepareBootStore } from './boot-store.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(ROOT, '../shared/data/food-kitchen') },
    events: { type: 'string', default: '1000000' },
    tail: { type: 'string', default: '10000' },
    text: { type: 'boolean', default: false },
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

/** seeded random unit vectors for every item, written once */
async function writeRandomVectors(): Promise<void> {
  const store = new SqliteStore(db);
  const ns = itemVectorNamespace(RANDOM_ENCODER.id);
  const ids: string[] = [];
  for await (const page of store.items.pages({ limit: 5000 })) ids.push(...page.map((i) => i.id));
  if ((await store.blobs.count(ns)) === ids.length) return void (await store.close());
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  for (let at = 0; at < ids.length; at += 2000) {
    await store.blobs.put(
      ns,
      ids.slice(at, at + 2000).map((id) => {
        const v = Float32Array.from({ length: 512 }, rand);
        const norm = Math.hypot(...v);
        for (let d = 0; d < v.length; d++) v[d]! /= norm;
        return { key: id, value: vectorBytes(v) };
      }),
    );
  }
  await store.close();
}

async function boot(label: string, snapshotEvents: number, encoder: Encoder | null = null): Promise<void> {
  const store = new SqliteStore(db);
  const phases: string[] = [];
  const t0 = performance.now();
  const engine = (await createEngine(
    { ...config, engine: { ...config.engine, snapshotEvents } },
    { store, encoder, onBootPhase: (p, t) => phases.push(`${p} ${t.toFixed(0)}`) },
  )) as SwappableEngine;
  const booted = performance.now() - t0;
  const r = await engine.recommend({ user: '1', scenario: 'food', n: 10 });
  const first = performance.now() - t0;
  const b = engine.bootReport;
  console.log(
    `${label.padEnd(9)} boot ${ms(booted)}  first answer ${ms(first)}  (${b?.from ?? 'no model'}, ${b?.folded ?? 0} events folded${b?.saved ? ', snapshot saved' : ''}; model ${r.modelVersion})`,
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
async function serveBoot(label: string, snapshotEvents: number): Promise<void> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/fusionrec.js'),
      '-c',
      configFile,
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
    console.log(
      `${label.padEnd(9)} first answer ${ms(performance.now() - t0)}  (fusionrec serve process, from spawn)`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const store = new SqliteStore(db);
console.log(
  `store ${db}: ${(await store.events.count()).toLocaleString('en-US')} events, ${(await store.items.count()).toLocaleString('en-US')} items`,
);
await dropSnapshot(store);
await store.close();
await boot('cold', 0);
await boot('cold+save', 1);
// a tail after the snapshot, under users of its own, erased at the end
const adder = new SqliteStore(db);
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
  await boot('snapshot', 0);
  await boot('snapshot', 0);
  if (args.text) {
    await writeRandomVectors();
    // the first builds the HNSW indices and saves them with the snapshot, the second reads them back
    await boot('text+save', 1, RANDOM_ENCODER);
    await boot('text', 0, RANDOM_ENCODER);
  }
  await serveBoot('serve', 0);
  const dropper = new SqliteStore(db);
  await dropSnapshot(dropper);
  await dropper.close();
  await serveBoot('serve cold', 0);
} finally {
  const eraser = new SqliteStore(db);
  for (let u = 0; u < TAIL_USERS; u++) await eraser.deleteUser(`bench-tail-u${u}`);
  await dropSnapshot(eraser);
  await eraser.blobs.delete(BOOT_NAMESPACE, await eraser.blobs.keys(BOOT_NAMESPACE));
  await eraser.close();
}
