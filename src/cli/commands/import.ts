import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { isRecError, RecError } from '../../core/errors.ts';
import { createPseudonymiser } from '../../core/privacy.ts';
import { IMPORT_FORMATS, type ImportProgress, importDataset } from '../../ingest/index.ts';
import type { Store } from '../../store/types.ts';
import { interruptOnSigint, storeConfig, withStore } from '../options.ts';

interface ImportOpts {
  format: string;
  db?: string;
  batchSize?: string;
  json?: boolean;
  once?: boolean;
}

/** A bar on a terminal; elsewhere (CI, pipes, tests) a plain line at most every half second. */
function progressReporter(): { update(p: ImportProgress): void; stop(): void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        stream: process.stderr,
        format: '{phase} [{bar}] {percentage}% | {records} records, {events} events | eta {eta}s',
        hideCursor: true,
      },
      undefined,
    );
    let started = false;
    let phase = '';
    return {
      update(p) {
        if (!started || p.phase !== phase) {
          if (started) bar.stop();
          bar.start(Math.max(p.totalBytes, 1), 0, { phase: p.phase, records: 0, events: 0 });
          started = true;
          phase = p.phase;
        }
        bar.update(p.bytes, { records: p.records, events: p.events });
      },
      stop: () => (started ? bar.stop() : undefined),
    };
  }
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 500) return;
      last = now;
      const pct = p.totalBytes ? Math.floor((100 * p.bytes) / p.totalBytes) : 0;
      process.stderr.write(`import: ${p.phase} ${p.records} records, ${p.events} events (${pct}%)\n`);
    },
    stop() {},
  };
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import a shared dataset folder or a canonical JSONL/CSV file into the store')
    .argument('<path>', 'dataset folder (e.g. ../shared/data/food-kitchen) or JSONL/CSV file')
    .requiredOption('-f, --format <format>', IMPORT_FORMATS.join(' | '))
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--batch-size <n>', 'records per write transaction (default: config store.batchSize)')
    .option('--once', 'do nothing when this exact input was already imported completely')
    .option('--json', 'print the import report as JSON')
    .action(async (path: string, opts: ImportOpts, cmd: Command) => {
      const cfg = storeConfig(cmd.optsWithGlobals().config, opts.db);
      let batchSize = cfg.store.batchSize;
      if (opts.batchSize !== undefined) {
        if (!/^[1-9]\d*$/.test(opts.batchSize))
          throw new RecError('INVALID_INPUT', `expected a positive integer, got "${opts.batchSize}"`, {
            field: 'batch-size',
          });
        batchSize = Number(opts.batchSize);
      }
      await withStore(cfg, (store) => importInto(store, path, opts, cfg, batchSize));
    });
}

async function importInto(
  store: Store,
  path: string,
  opts: ImportOpts,
  cfg: Config,
  batchSize: number,
): Promise<void> {
  const interrupt = interruptOnSigint('import: stopping after the current batch');
  const progress = progressReporter();
  try {
    const report = await importDataset(store, opts.format, path, {
      batchSize,
      signal: interrupt.signal,
      onProgress: (p) => progress.update(p),
      scenarios: cfg.scenarios,
      once: opts.once === true,
      ...(cfg.privacy.pseudonymise ? { pseudonymise: createPseudonymiser(cfg.privacy) } : {}),
    });
    progress.stop();
    if (opts.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    if (report.skipped) {
      console.log(`${path} (${opts.format}) was already imported into ${store.url}; nothing to do`);
      return;
    }
    const notes = Object.entries(report.notes).map(([k, v]) => `${k} ${v}`);
    console.log(
      [
        `imported ${path} (${opts.format}) into ${store.url} in ${(report.ms / 1000).toFixed(1)}s`,
        `  records ${report.records}: scenarios ${report.scenarios}, items ${report.items}, user profiles ${report.users}, events ${report.events.read}`,
        `  events inserted ${report.events.inserted}, already present ${report.events.duplicates}`,
        ...(report.resumedFrom ? [`  resumed after record ${report.resumedFrom}`] : []),
        ...(notes.length ? [`  notes: ${notes.join(', ')}`] : []),
      ].join('\n'),
    );
  } catch (e) {
    progress.stop();
    if (isRecError(e) && e.code === 'INTERRUPTED') {
      console.error(`import: ${e.message}`);
      console.error(
        `resume with: fusionrec import --format ${opts.format} --db ${opts.db ?? cfg.store.url} ${path}`,
      );
      process.exitCode = 130;
      return;
    }
    throw e;
  } finally {
    interrupt.release();
  }
}
