/**
 * Embedded vs distributed, in one run, on the demo data:
 *   npm run bench:cluster [-- --duration 10 --connections 8]
 *
 * POST /v1/recommend (40 demo users in turn, scenario shop, n=10) against
 *   1. embedded: one `fusionrec serve` on a copy of the demo SQLite file, no bus, no cache;
 *   2. distributed, one node: the demo in a fresh PostgreSQL database on this machine's server,
 *      NATS JetStream and Redis (answers cached in Redis);
 *   3. the same node without Redis (every answer computed);
 *   4. distributed, three nodes: three load generators, one per node, at once.
 * Prints req/s, latency p50/p99 and the nodes' CPU ms per request (the node processes only: the
 * PostgreSQL, NATS and Redis servers' CPU is not in it), and each node's boot time (spawn to
 * listening). The numbers depend on how busy the machine is; the load average is printed.
 *
 * `--boot-data ../shared/data/food-kitchen` adds: that dataset imported (`fusionrec import`) into a
 * fresh PostgreSQL database and a SQLite file, and the boot time of one node on each (no trained
 * model: the boot reads the store's events for counts and popularity).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type autocannon from 'autocannon';
import {
  clusterNames,
  demoPostgres,
  dropCluster,
  freshDatabase,
  NATS_URL,
  type Node,
  REDIS_URL,
  serveNode,
} from '../tests/cluster-fixture.ts';
import { demoDbCopy } from '../tests/server-fixture.ts';
import { type Measured, report, run } from './load-lib.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    'boot-data': { type: 'string' },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const users = Array.from({ length: 40 }, (_, i) => `u${String(i + 1).padStart(3, '0')}`);

function recommend(url: string, conns: number, secs: number): autocannon.Options {
  let n = 0;
  return {
    url,
    connections: conns,
    duration: secs,
    requests: [
      {
        method: 'POST',
        path: '/v1/recommend',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ user: users[n++ % users.length], scenario: 'shop', n: 10 }),
        }),
      },
    ],
  };
}

/** boots `count` nodes (the first alone: it makes the stream), timing each */
async function boot(
  cli: string[],
  env: NodeJS.ProcessEnv,
  count: number,
): Promise<{ nodes: Node[]; ms: number[] }> {
  const nodes: Node[] = [];
  const ms: number[] = [];
  const one = async () => {
    const t = performance.now();
    const n = await serveNode(cli, env);
    ms.push(performance.now() - t);
    return n;
  };
  nodes.push(await one());
  nodes.push(...(await Promise.all(Array.from({ length: count - 1 }, one))));
  return { nodes, ms };
}

/** a warm-up, then `duration` seconds spread over the nodes at once; CPU summed over their processes */
async function measure(name: string, nodes: Node[]): Promise<void> {
  const pids = nodes.map((n) => n.process.pid!);
  const per = Math.max(1, Math.round(connections / nodes.length));
  await Promise.all(nodes.map((n) => run(recommend(n.url, per, 3), [])));
  const results: Measured[] = await Promise.all(
    nodes.map((n, i) => run(recommend(n.url, per, duration), i === 0 ? pids : [])),
  );
  if (results.length === 1) return report(name, results[0]);
  // the totals of the nodes: req/s summed, latency the worst node's, CPU of every node per request
  const total = results.reduce((t, r) => t + r.requests.total, 0);
  const first = results[0]!;
  const merged = {
    ...first,
    requests: { ...first.requests, average: results.reduce((t, r) => t + r.requests.average, 0), total },
    errors: results.reduce((t, r) => t + r.errors, 0),
    timeouts: results.reduce((t, r) => t + r.timeouts, 0),
    non2xx: results.reduce((t, r) => t + (r.non2xx ?? 0), 0),
    latency: {
      ...first.latency,
      p50: Math.max(...results.map((r) => r.latency.p50)),
      p90: Math.max(...results.map((r) => r.latency.p90)),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      max: Math.max(...results.map((r) => r.latency.max)),
    },
  } as Measured;
  report(`${name} (p50/p99: the slowest node's)`, merged);
}

const fmt = (ms: number[]) => ms.map((m) => `${(m / 1000).toFixed(1)} s`).join(', ');
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${connections} connections, ${duration} s a phase`,
);

// `--duration 0`: the boot phase alone
if (duration > 0) {
  {
    const { db } = await demoDbCopy();
    const { nodes, ms } = await boot(['--db', db], {}, 1);
    console.log(`embedded (SQLite) boot: ${fmt(ms)}`);
    await measure('embedded, SQLite, 1 node', nodes);
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dirname(db), { recursive: true, force: true });
  }

  const pgDb = await demoPostgres();
  const names = clusterNames();
  const env = { FUSIONREC_BUS__PREFIX: names.prefix, FUSIONREC_CACHE__PREFIX: names.keys };
  try {
    for (const [label, cli] of [
      [
        'distributed, PostgreSQL+NATS+Redis, 1 node',
        ['--store', pgDb.url, '--bus', NATS_URL, '--cache', REDIS_URL],
      ],
      ['distributed, PostgreSQL+NATS, no Redis, 1 node', ['--store', pgDb.url, '--bus', NATS_URL]],
    ] as const) {
      const { nodes, ms } = await boot([...cli], env, 1);
      console.log(`${label}: boot ${fmt(ms)}`);
      await measure(label, nodes);
      await Promise.all(nodes.map((n) => n.stop()));
    }
    const label = 'distributed, PostgreSQL+NATS+Redis, 3 nodes';
    const { nodes, ms } = await boot(['--store', pgDb.url, '--bus', NATS_URL, '--cache', REDIS_URL], env, 3);
    console.log(`${label}: boot ${fmt(ms)} (the last two at once)`);
    await measure(label, nodes);
    await Promise.all(nodes.map((n) => n.stop()));
  } finally {
    await dropCluster(names);
    await pgDb.drop();
  }
}
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

if (args['boot-data']) {
  const data = args['boot-data'];
  const bin = new URL('../bin/fusionrec.js', import.meta.url).pathname;
  const importInto = (target: string) => {
    const t = performance.now();
    execFileSync(process.execPath, [bin, 'import', data, '--format', basename(data), '--db', target], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return (performance.now() - t) / 1000;
  };
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bench-boot-'));
  const pgBoot = await freshDatabase();
  try {
    const file = join(dir, 'boot.db');
    const sqliteImport = importInto(file);
    const pgImport = importInto(pgBoot.url);
    for (const [label, cli, took] of [
      ['SQLite', ['--db', file], sqliteImport],
      ['PostgreSQL', ['--store', pgBoot.url], pgImport],
    ] as const) {
      const { nodes, ms } = await boot([...cli], {}, 1);
      console.log(`${data} on ${label}: imported in ${took.toFixed(1)} s; node boot ${fmt(ms)}`);
      await Promise.all(nodes.map((n) => n.stop()));
    }
  } finally {
    await pgBoot.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
