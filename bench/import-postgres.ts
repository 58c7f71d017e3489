/**
 * Import throughput into PostgreSQL beside SQLite, through the `fusionrec import` path
 * (`importDataset`): food-kitchen (436,127 events) into a fresh store of each backend, then the
 * same data again (all duplicates).
 *   npm run bench:import-pg [-- --dataset food-kitchen --batch-size 20000 --pg postgres://127.0.0.1:5432/postgres]
 * `--pg` names the server (any database on it): the bench creates `fusionrec_bench_<random>` there
 * and drops it after. Prints events/s by wall clock and per CPU second of this process (the
 * PostgreSQL server's own CPU is not in the second figure), with the load average at the start.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { importDataset } from '../src/ingest/index.ts';
import { PostgresStore } from '../src/store/postgres.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'food-kitchen' },
    data: { type: 'string' },
    'batch-size': { type: 'string', default: '20000' },
    pg: {
      type: 'string',
      default: `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`,
    },
    backends: { type: 'string', default: 'postgres,sqlite' },
  },
});
const dataset = args.dataset;
const path = args.data ?? join(ROOT, '..', 'shared', 'data', dataset);
const batchSize = Number(args['batch-size']);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const db = `fusionrec_bench_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: args.pg });
const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bench-import-pg-'));

/**
 * CPU seconds of the server processes serving the bench database, by pid, read from /proc (only
 * when the server runs on this machine and its processes are readable; otherwise empty)
 */
async function serverCpu(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    db,
  ]);
  for (const { pid } of rows) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      // utime and stime, fields 14 and 15 of stat (11 and 12 after the command name)
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {}
  }
  return out;
}

function serverCpuSince(before: Map<number, number>, now: Map<number, number>): number | undefined {
  if (now.size === 0) return undefined;
  let s = 0;
  for (const [pid, t] of now) s += t - (before.get(pid) ?? 0);
  return s;
}

async function run(name: string, store: Store): Promise<void> {
  try {
    for (const pass of ['fresh', 'again'] as const) {
      const server0 = name === 'postgres' ? await serverCpu() : new Map<number, number>();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const report = await importDataset(store, dataset, path, { batchSize });
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      const cpu = (c.user + c.system) / 1e6;
      const ev = report.events.read;
      const server = name === 'postgres' ? serverCpuSince(server0, await serverCpu()) : undefined;
      console.log(
        `${name.padEnd(8)} ${pass}: ${fmt(ev)} events (${fmt(report.events.inserted)} new) in ${wall.toFixed(2)} s wall, ` +
          `${cpu.toFixed(2)} s CPU here: ${fmt(ev / wall)} events/s wall, ${fmt(ev / cpu)} events/CPU-s here` +
          (server === undefined
            ? ''
            : `; server ${server.toFixed(2)} s CPU: ${fmt(ev / (cpu + server))} events/CPU-s both`),
      );
    }
  } finally {
    await store.close();
  }
}

console.log(
  `import bench: ${dataset} from ${path}, batch ${batchSize}; ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; node ${process.version}`,
);
await admin.connect();
try {
  await admin.query(`CREATE DATABASE ${db}`);
  for (const backend of args.backends.split(',')) {
    if (backend === 'postgres') {
      const u = new URL(args.pg);
      u.pathname = `/${db}`;
      await run('postgres', await PostgresStore.open(u.toString()));
    } else if (backend === 'sqlite') await run('sqlite', new SqliteStore(join(dir, 'bench.db')));
    else throw new Error(`unknown backend ${backend} (postgres, sqlite)`);
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
