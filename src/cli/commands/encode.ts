import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import { openEmbeddingCache } from '../../encode/cache.ts';
import { type EncodeProgress, encodeCatalog, fusionOptionsOf } from '../../encode/catalog.ts';
import { createComponents } from '../../engine/create.ts';
import { enrichCatalog } from '../../generate/enrich.ts';
import { interruptOnSigint, readConfig } from '../options.ts';
import { progressReporter } from '../progress.ts';

interface EncodeOpts {
  db?: string;
  scenario?: string;
  cache?: string;
  enrich?: boolean;
  json?: boolean;
  pageSize?: string;
}

/** A bar on a terminal; elsewhere a plain line at most every two seconds. */
function encodeProgress(label: string): { update(p: EncodeProgress): void; stop(): void } {
  const t0 = Date.now();
  const rate = (done: number) => (done / Math.max(0.001, (Date.now() - t0) / 1000)).toFixed(1);
  const bar = progressReporter(label, { plainEveryMs: 2000 });
  return {
    update: (p) => bar.update(p.done, p.total, `${p.done}/${p.total} items, ${rate(p.done)} items/s`),
    stop: () => bar.stop(),
  };
}

export function registerEncode(program: Command): void {
  program
    .command('encode')
    .description('encode every item whose unified text changed into the shared semantic space (incremental)')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--scenario <id>', 'only this scenario')
    .option(
      '--cache <file>',
      'embedding cache file shared across databases; "" = inside the store (default: config encoder.cachePath)',
    )
    .option(
      '--enrich',
      'first let the generative model fill missing descriptions/keywords (default: config generator.enrich)',
    )
    .option('--page-size <n>', 'items per step; an interrupt stops after the current step', '512')
    .option('--json', 'print the report as JSON')
    .action(async (opts: EncodeOpts, cmd: Command) => {
      const pageSize = Number(opts.pageSize ?? 512);
      if (!Number.isInteger(pageSize) || pageSize < 1)
        throw new RecError('INVALID_INPUT', `expected a positive integer, got "${opts.pageSize}"`, {
          field: 'page-size',
        });
      const cfg = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      // the configured encoder (encoder.provider) and generative model, from the composition root
      const parts = await createComponents(cfg);
      const { store } = parts;
      const encoder = parts.encoder!;
      const interrupt = interruptOnSigint('encode: stopping after the current batch');
      const cache = openEmbeddingCache(store, opts.cache ?? cfg.encoder.cachePath);
      let progress: ReturnType<typeof encodeProgress> | undefined;
      try {
        let enrich: Awaited<ReturnType<typeof enrichCatalog>> | undefined;
        const generator = (opts.enrich ?? cfg.generator.enrich) ? parts.generator() : null;
        if (generator) {
          progress = encodeProgress('enrich');
          enrich = await enrichCatalog(store, generator, {
            signal: interrupt.signal,
            onProgress: (p) => progress?.update(p),
            ...(opts.scenario ? { scenario: opts.scenario } : {}),
            onFailure: (id, e) =>
              process.stderr.write(`enrich: item ${id} skipped: ${(e as Error).message}\n`),
          });
          progress.stop();
        }
        const t0 = Date.now();
        progress = encodeProgress('encode');
        const report = await encodeCatalog(store, encoder, {
          cache,
          ...fusionOptionsOf(cfg.encoder),
          pageSize,
          signal: interrupt.signal,
          onProgress: (p) => progress?.update(p),
          onWarning: (m) => process.stderr.write(`encode: warning: ${m}\n`),
          ...(opts.scenario ? { scenario: opts.scenario } : {}),
        });
        progress.stop();
        const seconds = (Date.now() - t0) / 1000;
        if (opts.json) {
          console.log(
            JSON.stringify(
              { encoder: encoder.id, seconds, ...report, ...(enrich ? { enrich } : {}) },
              null,
              2,
            ),
          );
        } else {
          console.log(
            [
              `encoded ${store.url} with ${encoder.id} (${encoder.dim}-d) in ${seconds.toFixed(1)}s`,
              `  items ${report.items}: updated ${report.updated}, unchanged ${report.unchanged}, removed ${report.removed}`,
              `  texts sent to the model ${report.modelTexts}, taken from the cache ${report.cacheHits}` +
                (report.modelTexts > 0 ? ` (${(report.modelTexts / seconds).toFixed(1)} texts/s)` : ''),
              ...(report.unreadable
                ? [`  items read through the character n-gram channel ${report.unreadable}`]
                : []),
              ...(enrich
                ? [
                    `  enriched ${enrich.generated}, cached ${enrich.cached}, failed ${enrich.failed} (by ${generator?.id})`,
                  ]
                : []),
            ].join('\n'),
          );
        }
        if (report.interrupted) {
          console.error(`encode: interrupted; rerun to continue (finished items are kept)`);
          process.exitCode = 130;
        }
      } finally {
        progress?.stop();
        interrupt.release();
        await cache.close();
        await parts.close();
      }
    });
}
