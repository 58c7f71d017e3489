import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { isRecError, RecError } from '../../core/errors.ts';
import { createPseudonymiser } from '../../core/privacy.ts';
import { IMPORT_FORMATS, type ImportProgress, importDataset } from '../../ingest/index.ts';
import type { Store } from '../../store/types.ts';
import { interruptOnSigint, storeConfig, withStore } from '../options.ts';
import { progressReporter } from '../progress.ts';

interface ImportOpts {
  format: string;
  db?: string;
  batchSize?: string;
  json?: boolean;
  once?: boolean;
}

/** One bar for the whole import: a two-pass import (validate, then write) fills it once. */
function importProgress(): { update(p: ImportProgress): void; stop(): void } {
  const bar = progressReporter('import');
  return {
    update(p) {
      const offset = p.passes === 2 && p.phase === 'write' ? p.totalBytes : 0;
      bar.update(
        offset + p.bytes,
        p.passes * p.totalBytes,
        `${p.phase} ${p.records} records, ${p.events} events`,
      );
    },
    stop: () => bar.stop(),
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
      if (opts.batchSize !== undefined && !/^[1-9]\d*$/.test(opts.batchSize))
        throw new RecError('INVALID_INPUT', `expected a positive integer, got "${opts.batchSize}"`, {
          field: 'batch-size',
        });
      const target = storeConfig(cmd.optsWithGlobals().config, opts.db);
      const cfg = target.config;
      const batchSize = opts.batchSize !== undefined ? Number(opts.batchSize) : cfg.store.batchSize;
      let ok = false;
      try {
        await withStore(cfg, (store) => importInto(store, path, opts, cfg, batchSize));
        ok = true;
      } finally {
        // a failed import into a new database leaves no empty database behind (an interrupted
        // one returns normally and is kept, so a rerun resumes)
        if (!ok) target.discard();
      }
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
  const progress = importProgress();
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
