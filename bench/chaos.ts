/**
 * Chaos on the clustered mode: nothing acknowledged is lost, nothing is stored twice.
 *   npm run bench:chaos [-- --rounds 20 --round-ms 2000 --batch 20 --clients 2]
 *
 * Three `fusionrec serve` nodes over a PostgreSQL cluster and a NATS server of the bench's own
 * (bench/cluster-lib.ts: restarting them disturbs nobody) and this machine's Redis. Clients post
 * batches of events with unique ids round-robin over the nodes; a batch that fails (refused, 503,
 * connection cut) is retried with the same ids on the next node until one acknowledges it. Meanwhile
 * `--rounds` rounds each kill -9 a random node and start it again; one round restarts NATS, another
 * PostgreSQL. Then ingest stops, the writer drains, and the bench counts:
 *   lost: acknowledged (2xx) but not in PostgreSQL;  duplicates: an event id stored twice, or a
 *   stored event counted as inserted by two acknowledgements.
 * Exits 1 when either is not 0.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  clusterNames,
  demoPostgres,
  dropCluster,
  type Node,
  REDIS_URL,
  serveNode,
} from '../tests/cluster-fixture.ts';
import { ownNats, ownPostgres } from './cluster-lib.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    'round-ms': { type: 'string', default: '2000' },
    batch: { type: 'string', default: '20' },
    clients: { type: 'string', default: '2' },
    /** prints what every node wrote to stderr (bus notices: lost NATS, writer refused, ...) */
    verbose: { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const roundMs = Number(args['round-ms']);
const batchSize = Number(args.batch);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${m}`);

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const postgres = await ownPostgres();
const nats = await ownNats();
const names = clusterNames();
const db = await demoPostgres(postgres.adminUrl);
const env = { FUSIONREC_BUS__PREFIX: names.prefix, FUSIONREC_CACHE__PREFIX: names.keys };
const cli = ['--store', db.url, '--bus', nats.url, '--cache', REDIS_URL];
const slots: (Node | undefined)[] = [];
slots.push(await serveNode(cli, env));
slots.push(...(await Promise.all([serveNode(cli, env), serveNode(cli, env)])));

let stopping = false;
let seq = 0;
const acked = new Set<string>();
let insertedSum = 0;
let attempts = 0;
let failures = 0;
const failureKinds = new Map<string, number>();
let next = 0;
const notices: string[] = [];
/** acknowledgements slower than a second: a node waiting for its own apply, or for the stream */
let slow = 0;

async function client(c: number): Promise<void> {
  while (!stopping) {
    const ts = Date.now();
    const events = Array.from({ length: batchSize }, (_, k) => ({
      id: `chaos-${c}-${seq++}`,
      user: `u${String(((seq + k) % 40) + 1).padStart(3, '0')}`,
      item: `shop-rock-${(k % 5) + 1}`,
      scenario: 'shop',
      type: 'view',
      ts: ts + k,
    }));
    // until one node acknowledges it, with the same ids (the bench ends only after it is)
    for (;;) {
      const node = slots[next++ % slots.length];
      if (!node) {
        await sleep(50);
        continue;
      }
      attempts++;
      let why: string;
      const t = performance.now();
      try {
        const r = await fetch(`${node.url}/v1/events/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
          signal: AbortSignal.timeout(15_000),
        });
        const body = (await r.json()) as { inserted?: number };
        if (r.status === 200) {
          if (performance.now() - t > 1000) slow++;
          for (const e of events) acked.add(e.id);
          insertedSum += body.inserted ?? 0;
          break;
        }
        why = `HTTP ${r.status}`;
      } catch (e) {
        why = (e as Error).name === 'TimeoutError' ? 'timeout' : 'connection';
      }
      failures++;
      failureKinds.set(why, (failureKinds.get(why) ?? 0) + 1);
      await sleep(100);
    }
  }
}

const clients = Array.from({ length: Number(args.clients) }, (_, c) => client(c));
const t0 = performance.now();
for (let r = 1; r <= rounds; r++) {
  await sleep(roundMs);
  const i = Math.floor(Math.random() * slots.length);
  const victim = slots[i]!;
  notices.push(victim.stderr());
  slots[i] = undefined;
  victim.process.kill('SIGKILL');
  await new Promise((done) =>
    victim.process.exitCode !== null ? done(null) : victim.process.once('close', done),
  );
  const b0 = performance.now();
  if (r === Math.ceil(rounds / 3)) {
    log(`round ${r}: NATS restart`);
    await nats.restart();
  }
  if (r === Math.ceil((2 * rounds) / 3)) {
    log(`round ${r}: PostgreSQL restart`);
    postgres.restart();
  }
  slots[i] = await serveNode(cli, env);
  log(
    `round ${r}: killed node ${i} (kill -9), back in ${((performance.now() - b0) / 1000).toFixed(1)} s; ${acked.size} events acknowledged`,
  );
}
stopping = true;
await Promise.all(clients);
const ingestS = (performance.now() - t0) / 1000;

// drain: the shared writer puts every acknowledged event into PostgreSQL
const sql = new pg.Client({ connectionString: db.url });
await sql.connect();
const storedIds = async () =>
  new Set(
    (await sql.query<{ id: string }>("SELECT id FROM events WHERE id LIKE 'chaos-%'")).rows.map((r) => r.id),
  );
const d0 = performance.now();
let stored = await storedIds();
const until = Date.now() + 120_000;
while ([...acked].some((id) => !stored.has(id)) && Date.now() < until) {
  await sleep(500);
  stored = await storedIds();
}
const drainS = (performance.now() - d0) / 1000;
const lost = [...acked].filter((id) => !stored.has(id)).length;
const dupRows = (
  await sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM (SELECT id FROM events WHERE id LIKE 'chaos-%' GROUP BY id HAVING count(*) > 1) d",
  )
).rows[0]!.n;
const overCounted = Math.max(0, insertedSum - stored.size);
await sql.end();

console.log(
  `chaos: ${rounds} rounds of kill -9 (every ${roundMs} ms), 1 NATS restart, 1 PostgreSQL restart, in ${ingestS.toFixed(0)} s`,
);
console.log(
  `  acknowledged events: ${acked.size}; stored: ${stored.size} (${stored.size - acked.size + lost} stored but never acknowledged: their answer was cut)`,
);
console.log(`  drained (every acknowledged event in PostgreSQL) ${drainS.toFixed(1)} s after ingest stopped`);
console.log(
  `  attempts: ${attempts}, failed and retried: ${failures} (${[...failureKinds].map(([k, n]) => `${k} ${n}`).join(', ')})`,
);
console.log(`  acknowledgements slower than 1 s: ${slow}`);
console.log(`  LOST (acknowledged, not stored): ${lost}`);
console.log(`  DUPLICATES (ids stored twice: ${dupRows}; counted inserted twice: ${overCounted})`);
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

await Promise.all(slots.map((n) => n?.stop()));
if (args.verbose) for (const n of [...notices, ...slots.map((x) => x?.stderr() ?? '')]) console.log(n);
await dropCluster({ ...names }).catch(() => {});
await db.drop();
nats.stop();
postgres.stop();
process.exit(lost === 0 && dupRows === 0 && overCounted === 0 ? 0 : 1);
