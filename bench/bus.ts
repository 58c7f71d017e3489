/**
 * Events per second through NATS JetStream, on this machine's NATS and PostgreSQL:
 *   npm run bench:bus [-- --events 50000 --batch 500 --parallel 4 --writer-batch 1000]
 *
 * Each phase sends `--events` events with fresh ids in batches of `--batch`, `--parallel` batches in
 * flight, onto a stream of its own (random prefix, deleted after) over a fresh PostgreSQL database:
 * 1. nats.js's `jetstream().publish` alone (a request per message), every event its own message
 *    with message id = event id, a batch's publishes all in flight, the batch done when every
 *    PubAck is back: what the bus's publisher did before it matched PubAcks on one subscription;
 * 2. publish only: the bus's publisher (the store asked which ids it holds, then 1.), no writer
 *    and no reader running;
 * 3. the store writer's drain: the backlog of 2. written into PostgreSQL by the shared durable
 *    consumer alone, from its start until the store holds every event;
 * 4. end to end: `POST /v1/events/batch` to one `fusionrec serve` node over the demo data in
 *    PostgreSQL, answered after every PubAck and the node's own apply; then the time until its
 *    writer has them all in PostgreSQL.
 * Prints events/s per phase and the load average (2 cores shared with other jobs: compare phases
 * of one run, not runs).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import { NatsPublisher } from '../src/bus/nats-publisher.ts';
import { json, openStream, type Stream } from '../src/bus/nats-stream.ts';
import { NatsWriter } from '../src/bus/nats-writer.ts';
import { parseConfig } from '../src/config/load.ts';
import { RecError } from '../src/core/errors.ts';
import type { Event } from '../src/core/types.ts';
import { ErasedUsers } from '../src/engine/erased.ts';
import { PostgresStore } from '../src/store/postgres.ts';
import {
  clusterNames,
  demoPostgres,
  dropCluster,
  freshDatabase,
  NATS_URL,
  serveNode,
} from '../tests/cluster-fixture.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
    parallel: { type: 'string', default: '4' },
    'writer-batch': { type: 'string', default: String(parseConfig({}).bus.writerBatch) },
  },
});
const total = Number(args.events);
const batchSize = Number(args.batch);
const parallel = Number(args.parallel);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')} events/s`;

/** `total` events with fresh ids, in batches */
function batches(tag: string, items: readonly string[], scenario: string): Event[][] {
  const ts = Date.now();
  const out: Event[][] = [];
  for (let i = 0; i < total; i += batchSize) {
    out.push(
      Array.from({ length: Math.min(batchSize, total - i) }, (_, j) => ({
        id: `${tag}-${i + j}`,
        user: `bench-u${(i + j) % 5000}`,
        item: items[(i + j) % items.length]!,
        scenario,
        type: 'view',
        ts: ts + i + j,
      })),
    );
  }
  return out;
}

/** runs `send` over every batch, `parallel` at a time; the milliseconds it took */
async function timed(all: Event[][], send: (b: Event[]) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < all.length) await send(all[next++]!);
    }),
  );
  return performance.now() - t0;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

const writerBatch = Number(args['writer-batch']);
const busConfig = (prefix: string) => ({ ...parseConfig({}).bus, url: NATS_URL, prefix, writerBatch });

/** phase 1: a stream of its own */
async function natsAlone(): Promise<void> {
  const names = clusterNames();
  const s = await openStream(busConfig(names.prefix));
  const js = jetstream(s.nc, { timeout: 30_000 });
  try {
    const raw = batches(`raw-${names.prefix}`, ['i1', 'i2', 'i3'], 'shop');
    const ms = await timed(raw, async (b) => {
      await Promise.all(
        b.map((e) => js.publish(`${s.subjectPrefix}.raw.${e.user}`, json(e), { msgID: e.id })),
      );
    });
    console.log(
      `1. jetstream().publish per event, batches of ${batchSize}, ${parallel} in flight: ${rate(total, ms)}`,
    );
  } finally {
    await s.nc.close();
    await dropCluster(names);
  }
}

/** phases 2 and 3 on one stream and one fresh database */
async function busAlone(): Promise<void> {
  const names = clusterNames();
  const db = await freshDatabase();
  const store = await PostgresStore.open(db.url);
  const s: Stream = await openStream(busConfig(names.prefix));
  const js = jetstream(s.nc, { timeout: 30_000 });
  const log = (m: string) => console.warn(`bus: ${m}`);
  try {
    const erased = new ErasedUsers();
    const publisher = new NatsPublisher(s, js, {
      store,
      erased,
      node: 'bench',
      log,
      publishTimeoutMs: 30_000,
      checkWritable: () => {},
      unavailable: (what, cause) => new RecError('UNAVAILABLE', what, { cause }),
    });
    const pub = batches(`pub-${names.prefix}`, ['i1', 'i2', 'i3'], 'shop');
    const pubMs = await timed(pub, async (b) => {
      await publisher.publishEvents(b);
    });
    console.log(
      `2. publish only (the bus's publisher: store asked for taken ids, PubAcks on one inbox): ${rate(total, pubMs)}`,
    );

    const writer = new NatsWriter(s, { store, erased, writerBatch, log });
    const t0 = performance.now();
    await writer.start(js);
    await until(async () => (await store.events.count()) >= total);
    const drainMs = performance.now() - t0;
    await writer.close();
    console.log(`3. writer drain into PostgreSQL (writerBatch ${writerBatch}): ${rate(total, drainMs)}`);
  } finally {
    await s.nc.close();
    await store.close();
    await dropCluster(names);
    await db.drop();
  }
}

/** phase 4: HTTP to one node over the demo data in PostgreSQL */
async function endToEnd(): Promise<void> {
  const names = clusterNames();
  const db = await demoPostgres();
  const store = await PostgresStore.open(db.url);
  const env = {
    FUSIONREC_BUS__PREFIX: names.prefix,
    FUSIONREC_SERVER__RATE_LIMIT_PER_MINUTE: '0',
    FUSIONREC_BUS__WRITER_BATCH: String(writerBatch),
  };
  const node = await serveNode(['--store', db.url, '--bus', NATS_URL], env);
  try {
    const items = (await store.items.list({ scenario: 'shop', limit: 200 })).map((i) => i.id);
    const before = await store.events.count();
    const all = batches(`http-${randomBytes(4).toString('hex')}`, items, 'shop');
    const ms = await timed(all, async (events) => {
      const r = await fetch(`${node.url}/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      if (r.status !== 200) throw new Error(`POST /v1/events/batch: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    });
    const start = performance.now() - ms;
    await until(async () => (await store.events.count()) >= before + total);
    const stored = performance.now() - start;
    console.log(
      `4. POST /v1/events/batch -> PubAck and the node's apply: ${rate(total, ms)}; all in PostgreSQL ${(stored / 1000).toFixed(1)} s after the first POST = ${rate(total, stored)}`,
    );
  } finally {
    await node.stop();
    await store.close();
    await dropCluster(names);
    await db.drop();
  }
}

console.log(`load average at start: ${load()}; ${total} events a phase`);
await natsAlone();
await busAlone();
await endToEnd();
console.log(`load average at end: ${load()}`);
