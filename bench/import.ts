/**
 * Import throughput on the largest shared dataset (food-kitchen, 436,127 events) into a fresh
 * SQLite store, then a second import of the same data (all duplicates).
 *   npm run bench:import [-- --dataset food-kitchen --batch-size 5000,20000 --runs 1]
 * Prints events/s by wall clock and per CPU second (the CPU figure is the one to compare on a
 * shared machine), with the load average at the start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'food-kitchen' },
    data: { type: 'string' },
    'batch-size': { type: 'string', default: '5000,20000' },
    runs: { type: 'string', default: '1' },
  },
});
const dataset = args.dataset;
const path = args.data ?? join(ROOT, '..', 'shared', 'data', dataset);
const sizes = args['batch-size'].split(',').map(Number);
const runs = Number(args.runs);
const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bench-import-'));

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `import bench: ${dataset} from ${path}; ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; node ${process.version}`,
);
try {
  for (const batchSize of sizes) {
    for (let r = 0; r < runs; r++) {
      const file = join(dir, `b${batchSize}-${r}.db`);
      const store = new SqliteStore(file);
      try {
        for (const pass of ['fresh', 'again'] as const) {
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          const report = await importDataset(store, dataset, path, { batchSize });
          const wall = (performance.now() - t0) / 1000;
          const c = process.cpuUsage(cpu0);
          const cpu = (c.user + c.system) / 1e6;
          const ev = report.events.read;
          console.log(
            `batch ${String(batchSize).padStart(6)} ${pass}: ${fmt(ev)} events (${fmt(report.events.inserted)} new) ` +
              `in ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU: ${fmt(ev / wall)} events/s wall, ` +
              `${fmt(ev / cpu)} events/CPU-s`,
          );
        }
      } finally {
        await store.close();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
