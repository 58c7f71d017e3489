import type { Command } from 'commander';
import { openEmbeddingCache } from '../../encode/cache.ts';
import { catalogTexts, distilEncoder, saveTable } from '../../encode/distil.ts';
import { createComponents } from '../../engine/create.ts';
import { interruptOnSigint, readConfig } from '../options.ts';
import { progressReporter } from '../progress.ts';

interface DistilOpts {
  db?: string;
  json?: boolean;
}

export function registerDistil(program: Command): void {
  program
    .command('distil')
    .description(
      'distil the encoder named by encoder.distil.from into a static word table over the catalog vocabulary (for encoder.provider "distilled")',
    )
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: DistilOpts, cmd: Command) => {
      const cfg = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const d = cfg.encoder.distil;
      // the source encoder, with every other encoder setting as configured
      const parts = await createComponents({ ...cfg, encoder: { ...cfg.encoder, provider: d.from } });
      const source = parts.encoder!;
      const interrupt = interruptOnSigint('distil: stopping after the current batch');
      const cache = openEmbeddingCache(parts.store, cfg.encoder.cachePath);
      const bar = progressReporter('distil', { plainEveryMs: 2000 });
      try {
        const t0 = Date.now();
        const texts = await catalogTexts(parts.store, { signal: interrupt.signal });
        const table = await distilEncoder(source, texts, {
          dims: d.dims,
          minCount: d.minCount,
          maxVocab: d.maxVocab,
          sifA: d.sifA,
          batch: 1024,
          cache,
          signal: interrupt.signal,
          onProgress: (p) => bar.update(p.done, p.total, `${p.done}/${p.total} words`),
        });
        bar.stop();
        await saveTable(parts.store.blobs, d.from, table);
        const seconds = (Date.now() - t0) / 1000;
        const report = {
          source: table.source,
          items: texts.length,
          words: table.tokens.length,
          dim: table.dim,
          seconds,
        };
        if (opts.json) console.log(JSON.stringify(report, null, 2));
        else
          console.log(
            [
              `distilled ${table.source} over ${texts.length} items: ${table.tokens.length} words, ${table.dim}-d, in ${seconds.toFixed(1)}s`,
              `  use it: encoder.provider "distilled" (encoder.distil.from "${d.from}"), then \`fusionrec encode\``,
            ].join('\n'),
          );
      } finally {
        bar.stop();
        interrupt.release();
        await cache.close();
        await parts.close();
      }
    });
}
