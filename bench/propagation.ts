/**
 * Propagation and throughput of the clustered mode, on this machine's NATS and Redis:
 *   npm run bench:propagation [-- --samples 200 --events 100000 --batch 1000 --parallel 4]
 *
 * 1. Propagation: two `fusionrec serve` processes (A, B) over one copy of the demo database, one
 *    stream and one Redis. A user's top recommendation is bought through A; from the moment A
 *    acknowledges it, B is asked again and again until its answer no longer holds the item. Prints
 *    p50/p99/max of that time (its resolution is one request to B).
 * 2. Throughput: events published through the bus in batches (each answered after JetStream's
 *    PubAck and this node's own apply), then the time the shared writer needs to have them all in
 *    the store (a fresh SQLite file).
 * The stream and keys get a random prefix and are deleted after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { deleteNatsStream, openNatsBus } from '../src/bus/nats.ts';
import { parseConfig } from '../src/config/load.ts';
import type { Event } from '../src/core/types.ts';
import { ErasedUsers } from '../src/engine/erased.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { clusterNames, dropCluster, NATS_URL, REDIS_URL, serveNode } from '../tests/cluster-fixture.ts';
import { demoDbCopy } from '../tests/server-fixture.ts';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '200' },
    events: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    parallel: { type: 'string', default: '4' },
  },
});

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const agent = { keepalive: true } as const;
async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...agent,
  });
  return { status: r.status, body: await r.json() };
}

async function propagation(samples: number): Promise<void> {
  const names = clusterNames();
  const { db } = await demoDbCopy();
  const env = { FUSIONREC_BUS__PREFIX: names.prefix, FUSIONREC_CACHE__PREFIX: names.keys };
  const cli = ['--db', db, '--bus', NATS_URL, '--cache', REDIS_URL];
  const a = await serveNode(cli, env);
  const b = await serveNode(cli, env);
  const times: number[] = [];
  const top = async (url: string, user: string) => {
    const r = await post(`${url}/v1/recommend`, { user, scenario: 'shop', n: 5 });
    if (r.status !== 200) throw new Error(`recommend: ${r.status} ${JSON.stringify(r.body)}`);
    return (r.body as { items: { item: string }[] }).items.map((i) => i.item);
  };
  try {
    let n = 0;
    while (times.length < samples) {
      const user = `u${String((n % 40) + 1).padStart(3, '0')}`;
      const item = (await top(b.url, user))[0];
      if (!item) throw new Error(`no recommendation for ${user}`);
      const ack = await post(`${a.url}/v1/events`, {
        id: `${names.prefix}-${n++}`,
        user,
        item,
        scenario: 'shop',
        type: 'purchase',
        ts: Date.now(),
      });
      const t0 = performance.now();
      if (ack.status !== 200) throw new Error(`event: ${ack.status} ${JSON.stringify(ack.body)}`);
      while ((await top(b.url, user)).includes(item)) {
        if (performance.now() - t0 > 10_000) throw new Error('not propagated within 10 s');
      }
      times.push(performance.now() - t0);
    }
  } finally {
    await a.stop();
    await b.stop();
    await dropCluster(names);
    rmSync(dirname(db), { recursive: true, force: true });
  }
  // one request to B, for the resolution
  times.sort((x, y) => x - y);
  console.log(
    `propagation A ack -> B answer (${times.length} samples): p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`,
  );
}

/** the bus alone: from node A's resolved publish to node B's handler, two buses in this process */
async function busPropagation(samples: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bench-bus-'));
  const store = new SqliteStore(join(dir, 'bus.db'));
  const { prefix } = clusterNames();
  const options = { ...parseConfig({}).bus, url: NATS_URL, prefix, store };
  const a = await openNatsBus({ ...options, erased: new ErasedUsers() });
  const b = await openNatsBus({ ...options, erased: new ErasedUsers() });
  const seen = new Map<string, number>();
  const noop = { events: async () => {}, change: async () => {} };
  await a.start(noop);
  await b.start({
    ...noop,
    async events(events) {
      for (const e of events) seen.set(e.id, performance.now());
    },
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const id = `${prefix}-${i}`;
      await a.publishEvents([{ id, user: 'u1', item: 'i1', scenario: 'shop', type: 'view', ts: Date.now() }]);
      const t0 = performance.now();
      while (!seen.has(id)) await new Promise((r) => setImmediate(r));
      times.push(Math.max(0, seen.get(id)! - t0));
    }
  } finally {
    await a.close();
    await b.close();
    await store.close();
    await deleteNatsStream(NATS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((x, y) => x - y);
  console.log(
    `propagation through the bus alone, A's publish resolved -> B applied (${samples} samples): p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms`,
  );
}

async function throughput(total: number, batch: number, parallel: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bench-bus-'));
  const store = new SqliteStore(join(dir, 'bus.db'));
  const { prefix } = clusterNames();
  const bus = await openNatsBus({
    ...parseConfig({}).bus,
    url: NATS_URL,
    prefix,
    store,
    writerBatch: batch,
    erased: new ErasedUsers(),
  });
  let applied = 0;
  await bus.start({
    async events(e) {
      applied += e.length;
    },
    async change() {},
  });
  try {
    const ts = Date.now();
    const batches: Event[][] = [];
    for (let i = 0; i < total; i += batch) {
      batches.push(
        Array.from({ length: Math.min(batch, total - i) }, (_, j) => ({
          id: `${prefix}-${i + j}`,
          user: `u${(i + j) % 5000}`,
          item: `i${(i + j) % 2000}`,
          scenario: 'shop',
          type: 'view' as const,
          ts: ts + i + j,
        })),
      );
    }
    const t0 = performance.now();
    let next = 0;
    let inserted = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < batches.length) {
          const counts = await bus.publishEvents(batches[next++]!);
          inserted += counts.inserted;
        }
      }),
    );
    const acked = (performance.now() - t0) / 1000;
    while ((await store.events.count()) < total) await new Promise((r) => setTimeout(r, 50));
    const stored = (performance.now() - t0) / 1000;
    console.log(
      `JetStream, batches of ${batch}, ${parallel} in flight: ${inserted} events acknowledged (and applied here: ${applied}) in ${acked.toFixed(2)} s = ${Math.round(total / acked)} events/s; all in the store after ${stored.toFixed(2)} s = ${Math.round(total / stored)} events/s`,
    );
  } finally {
    await bus.close();
    await store.close();
    await deleteNatsStream(NATS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

await propagation(Number(args.samples));
await busPropagation(Number(args.samples));
await throughput(Number(args.events), Number(args.batch), Number(args.parallel));
