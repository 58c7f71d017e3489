import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { configHash, loadConfig } from '../../config/load.ts';
import { RecError } from '../../core/errors.ts';
import { openEmbeddingCache } from '../../encode/cache.ts';
import { encodeCatalog, fusionOptionsOf, loadItemVectors } from '../../encode/catalog.ts';
import { createComponents } from '../../engine/create.ts';
import { compareModels, comparisonsMarkdown, mergeResults, poolSeeds } from '../../eval/compare.ts';
import { DATASET_NAMES, type DatasetName, PROTOCOLS } from '../../eval/dataset.ts';
import { resultsMarkdown } from '../../eval/markdown.ts';
import { MODELS } from '../../eval/models/index.ts';
import { renderReport } from '../../eval/report.ts';
import { runEvaluation } from '../../eval/run.ts';
import { evalResultSchema, resultJsonSchema } from '../../eval/schema.ts';
import { importDataset } from '../../ingest/index.ts';
import { interruptOnSigint } from '../options.ts';

interface EvalOpts {
  dataset: string;
  data: string;
  db?: string;
  models?: string;
  json?: string;
  report?: string;
  seed: string;
  maxUsers?: string;
  tuneUsers: string;
  vectors: string;
  compare?: string;
  seqEpochs?: string;
  ranked?: string;
  protocol: string;
  folds: string;
  foldUsers: string;
  coldSlice?: boolean;
}

/** "a,b" or "a,b;c,d": model,baseline pairs */
function parsePairs(v: string): [string, string][] {
  return v.split(';').map((p) => {
    const names = p.split(',').map((s) => s.trim());
    if (names.length !== 2 || !names[0] || !names[1])
      throw new RecError('INVALID_INPUT', `expected model,baseline pairs separated by ";", got "${p}"`, {
        field: 'compare',
      });
    return [names[0], names[1]];
  });
}

const int = (v: string, field: string, min = 0) => {
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new RecError('INVALID_INPUT', `expected an integer >= ${min}, got "${v}"`, { field });
  return Number(v);
};

export function registerEval(program: Command): void {
  program
    .command('eval-schema')
    .description('print the JSON Schema of `fusionrec eval --json` results (docs/eval-schema.json)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(resultJsonSchema(), null, 2)}\n`);
    });
  program
    .command('eval-table <json>')
    .description('print the Markdown tables of a results file (as in docs/results.md)')
    .action((file: string) => {
      process.stdout.write(resultsMarkdown(readResults(file)));
    });
  program
    .command('eval-compare <json...>')
    .description(
      'paired comparison (bootstrap interval) of models from results files of the same dataset, seed and test cases, e.g. two models run side by side',
    )
    .option(
      '--compare <pairs>',
      'model,baseline (several separated by ";"); default: every model against the first',
    )
    .option(
      '--over-seeds',
      "the files are the same models run at different seeds on the same test cases: compare each model's per-case mean over them (the gain expected over fits)",
    )
    .option('--json <file>', 'write the merged results with their comparisons')
    .action((files: string[], opts: { compare?: string; json?: string; overSeeds?: boolean }) => {
      const read = files.map(readResults);
      const merged = opts.overSeeds ? poolSeeds(read) : mergeResults(read);
      const withComparisons = {
        ...merged,
        comparisons: compareModels(merged, opts.compare ? parsePairs(opts.compare) : undefined),
      };
      if (opts.json)
        writeAtomically(opts.json, `${JSON.stringify(evalResultSchema.parse(withComparisons), null, 2)}\n`);
      process.stdout.write(comparisonsMarkdown(withComparisons.comparisons));
    });
  program
    .command('eval')
    .description("offline evaluation of the baselines (and the engine) under a dataset's published protocol")
    .requiredOption('--dataset <name>', `one of ${DATASET_NAMES.join(', ')}`)
    .requiredOption('--data <path>', 'folder of the dataset, e.g. ../shared/data/beauty')
    .option('--db <file>', 'store to import into and read from', undefined)
    .option(
      '--models <list>',
      `comma-separated; default: every registered model (${Object.keys(MODELS).join(', ')})`,
    )
    .option('--json <file>', 'write the results (schema: docs/eval-schema.md)')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--seed <n>', 'seed of every random choice', '42')
    .option(
      '--max-users <n>',
      'evaluate a seeded sample of at most n test (and valid) users; with --protocol kfold, at most n test users per fold',
    )
    .option(
      '--protocol <name>',
      "official (the dataset's test users) or kfold (the training users active in several scenarios in --folds seeded folds, each fold's last items held out and the models refitted without them: docs/results.md)",
      'official',
    )
    .option('--folds <n>', 'folds of --protocol kfold', '5')
    .option(
      '--fold-users <mode>',
      "--protocol kfold: seen (a fold's users lose only their last item from the training data) or unseen (they leave it whole and bring their history at request time, as the official test users)",
      'seen',
    )
    .option(
      '--cold-slice',
      "--protocol kfold: also rank every case again without its target scenario's history (the `no-target-history` slice, as the official protocol does on data of several scenarios; it doubles the ranking)",
    )
    .option('--tune-users <n>', 'valid cases the tuning objective uses', '2000')
    .option(
      '--compare <pairs>',
      'model,baseline pairs (separated by ";") whose per-case NDCG@10 gain gets a paired-bootstrap 95 % interval; default: every model against the first',
    )
    .option(
      '--seq-epochs <n>',
      'most training epochs of the sequential model (seqrec, engine); default: its own',
    )
    .option(
      '--ranked <k>',
      "write every case's top k item ids per model into the results JSON (`ranked`), e.g. to replay them through `fusionrec recommend`",
    )
    .option(
      '--vectors <mode>',
      'item vectors for text models and diversity: auto (encode items with the configured encoder when the dataset has item text), yes, no',
      'auto',
    )
    .action(async (opts: EvalOpts, cmd: Command) => {
      if (!(DATASET_NAMES as readonly string[]).includes(opts.dataset))
        throw new RecError(
          'INVALID_INPUT',
          `unknown dataset "${opts.dataset}"; one of ${DATASET_NAMES.join(', ')}`,
          {
            field: 'dataset',
          },
        );
      const dataset = opts.dataset as DatasetName;
      const seed = int(opts.seed, 'seed');
      const maxUsers = opts.maxUsers === undefined ? undefined : int(opts.maxUsers, 'max-users', 1);
      const tuneCases = int(opts.tuneUsers, 'tune-users', 1);
      const seqEpochs = opts.seqEpochs === undefined ? undefined : int(opts.seqEpochs, 'seq-epochs', 1);
      const rankedIds = opts.ranked === undefined ? 0 : int(opts.ranked, 'ranked', 1);
      if (!['official', 'kfold'].includes(opts.protocol))
        throw new RecError('INVALID_INPUT', `expected official or kfold, got "${opts.protocol}"`, {
          field: 'protocol',
        });
      const folds = opts.protocol === 'kfold' ? int(opts.folds, 'folds', 2) : undefined;
      if (opts.foldUsers !== 'seen' && opts.foldUsers !== 'unseen')
        throw new RecError('INVALID_INPUT', `expected seen or unseen, got "${opts.foldUsers}"`, {
          field: 'fold-users',
        });
      const models = (opts.models ?? Object.keys(MODELS).join(','))
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const cfg = loadConfig(cmd.optsWithGlobals().config);
      const interrupt = interruptOnSigint('interrupted: finishing the current step');
      const progress = new Progress();
      const dbFile = opts.db ?? join('.cache', `${dataset}.db`);
      mkdirSync(dirname(dbFile), { recursive: true });
      const parts = await createComponents(
        { ...cfg, store: { ...cfg.store, url: dbFile } },
        { encoder: null },
      );
      const store = parts.store;
      try {
        const marker = `eval:imported:${dataset}`;
        if ((await store.getMeta(marker)) !== 'done') {
          await importDataset(store, dataset, opts.data, {
            signal: interrupt.signal,
            onProgress: (p) => progress.update(`import ${dataset}`, p.bytes, p.totalBytes),
          });
          await store.setMeta(marker, 'done');
          await store.checkpoint();
        }
        const wantVectors = opts.vectors === 'auto' ? PROTOCOLS[dataset].itemText : opts.vectors === 'yes';
        if (!['auto', 'yes', 'no'].includes(opts.vectors))
          throw new RecError('INVALID_INPUT', `expected auto, yes or no, got "${opts.vectors}"`, {
            field: 'vectors',
          });
        let itemVectors: { encoder: string; vectors: Map<string, Float32Array> } | undefined;
        if (wantVectors) {
          // the configured encoder, closed once the items are encoded (the store stays open)
          const encoding = await createComponents(cfg, { store });
          const encoder = encoding.encoder!;
          // text vectors are cached across databases (config encoder.cachePath) and item vectors in
          // the store: only the first run over a catalogue pays for the language model
          const cache = openEmbeddingCache(store, cfg.encoder.cachePath);
          try {
            await encodeCatalog(store, encoder, {
              cache,
              ...fusionOptionsOf(cfg.encoder),
              signal: interrupt.signal,
              onProgress: (p) => progress.update(`encode items (${encoder.id})`, p.done, p.total),
            });
            interrupt.signal.throwIfAborted();
            const v = await loadItemVectors(store, encoder.id);
            itemVectors = {
              encoder: encoder.id,
              vectors: new Map(v.ids.map((id, r) => [id, v.vectors.subarray(r * v.dim, (r + 1) * v.dim)])),
            };
          } finally {
            await encoding.close();
            await cache.close();
          }
        }
        const result = await runEvaluation(store, dataset, {
          ...(itemVectors ? { itemVectors } : {}),
          models,
          seed,
          ...(maxUsers !== undefined ? { maxUsers } : {}),
          tuneCases,
          ...(opts.compare ? { compare: parsePairs(opts.compare) } : {}),
          ...(seqEpochs !== undefined ? { seqEpochs } : {}),
          ...(rankedIds > 0 ? { rankedIds } : {}),
          ...(folds !== undefined ? { folds, foldUsers: opts.foldUsers } : {}),
          ...(opts.coldSlice ? { noTargetHistory: true } : {}),
          config: cfg,
          configHash: configHash(cfg),
          command: ['fusionrec', ...process.argv.slice(2)].join(' '),
          signal: interrupt.signal,
          onProgress: (label, done, total) => progress.update(label, done, total),
        });
        progress.stop();
        const checked = evalResultSchema.parse(result);
        if (opts.json) writeAtomically(opts.json, `${JSON.stringify(checked, null, 2)}\n`);
        if (opts.report) writeAtomically(opts.report, renderReport(checked));
        printSummary(checked);
        if (checked.comparisons) console.log(comparisonsMarkdown(checked.comparisons));
        if (checked.run.interrupted)
          throw new RecError('INTERRUPTED', 'evaluation interrupted; partial results written');
      } finally {
        progress.stop();
        interrupt.release();
        await parts.close();
      }
    });
}

function readResults(file: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new RecError('PARSE_ERROR', `cannot read results file ${file}`, { field: 'json', cause });
  }
  const r = evalResultSchema.safeParse(raw);
  if (!r.success)
    throw new RecError(
      'INVALID_INPUT',
      `${file} is not an eval results file: ${r.error.issues[0]?.message}`,
      {
        field: r.error.issues[0]?.path.join('.') ?? 'json',
      },
    );
  return r.data;
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function printSummary(r: ReturnType<typeof evalResultSchema.parse>): void {
  const cols = ['hr@10', 'ndcg@10', 'hr@50', 'ndcg@50', 'mrr', 'coverage@10'];
  console.log(`${r.dataset}: ${r.data.testCases} test cases, ${r.data.items} items`);
  // every column at least one space wider than its longest entry
  const width = (xs: readonly string[], min: number) => Math.max(min, ...xs.map((x) => x.length + 1));
  const groups = r.models.flatMap((m) => (m.status === 'ok' ? m.groups : []));
  const w = {
    model: width(
      r.models.map((m) => m.name),
      12,
    ),
    scenario: width(
      groups.map((g) => g.scenario),
      10,
    ),
    slice: width(
      groups.map((g) => g.slice),
      18,
    ),
  };
  console.log(
    [
      'model'.padEnd(w.model),
      'scenario'.padEnd(w.scenario),
      'slice'.padEnd(w.slice),
      ...cols.map((c) => c.padStart(12)),
    ].join(''),
  );
  for (const m of r.models) {
    if (m.status !== 'ok') {
      console.log(`${m.name.padEnd(w.model)}skipped: ${m.reason}`);
      continue;
    }
    for (const g of m.groups.filter((g) => g.ranking === 'full')) {
      console.log(
        [
          m.name.padEnd(w.model),
          g.scenario.padEnd(w.scenario),
          g.slice.padEnd(w.slice),
          ...cols.map((c) => (g.metrics[c] === undefined ? '–' : g.metrics[c]!.toFixed(4)).padStart(12)),
        ].join(''),
      );
    }
  }
}

/** One progress bar on a terminal; a stderr line every few seconds otherwise (logs, CI). */
class Progress {
  private bar: SingleBar | undefined;
  private label = '';
  private lastLine = 0;

  update(label: string, done: number, total: number): void {
    // a phase that cannot know its total (events read from the store) counts without a bar
    if (total <= 0) {
      if (process.stderr.isTTY) {
        this.bar?.stop();
        this.bar = undefined;
        process.stderr.write(`\r${label}: ${done}`);
      } else if (label !== this.label || Date.now() - this.lastLine > 5000) {
        console.error(`${label}: ${done}`);
        this.lastLine = Date.now();
      }
      this.label = label;
      return;
    }
    if (process.stderr.isTTY) {
      if (!this.bar || label !== this.label) {
        this.bar?.stop();
        this.bar = new SingleBar({
          format: '{label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted}',
        });
        this.bar.start(total, done, { label });
      }
      this.bar.setTotal(total);
      this.bar.update(done, { label });
    } else if (label !== this.label || Date.now() - this.lastLine > 5000 || done === total) {
      console.error(`${label}: ${done}/${total}`);
      this.lastLine = Date.now();
    }
    this.label = label;
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
