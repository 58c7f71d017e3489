import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { RecError } from '../../core/errors.ts';
import { buildDemoStore } from '../../demo/build.ts';
import { parseNumber, storeConfig } from '../options.ts';

/**
 * Builds the demo database with progress on stderr; Ctrl-C stops after the current step and a
 * rerun continues. Returns false when interrupted.
 */
export async function runDemoBuild(
  config: Config,
  opts: { seed?: number; users?: number; lang?: 'en' | 'zh' } = {},
): Promise<boolean> {
  const controller = new AbortController();
  const onSigint = () => {
    console.error('\ninterrupt: stopping after the current step (run again to continue)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const started = Date.now();
    const { report, encoded, complete } = await buildDemoStore(config, {
      ...opts,
      signal: controller.signal,
      onStep: (s) => console.error(`demo: ${s}`),
      onEncodeProgress: (done, total) => {
        if (process.stderr.isTTY) process.stderr.write(`\rdemo: encoded ${done}/${total} items`);
        else if (done === total) console.error(`demo: encoded ${done}/${total} items`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (!complete) return false;
    console.error(
      `demo: ${report.items} items, ${report.users} users, ${report.events} events (${report.inserted} new); ` +
        `${encoded.updated} vectors computed, ${encoded.unchanged} unchanged, ${encoded.cacheHits} from cache; ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return true;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'build a demo database: a generated catalog across shop, music, video and news, and simulated users',
    )
    .requiredOption('--db <file>', 'database file to create or complete')
    .option('--seed <n>', 'random seed', '42')
    .option('--users <n>', 'simulated users', '60')
    .option(
      '--lang <lang>',
      'en, or zh to add a Chinese slice (shop and video items with Chinese titles)',
      'en',
    )
    .action(async (opts: { db: string; seed: string; users: string; lang: string }, cmd: Command) => {
      const seed = parseNumber(opts.seed, 'seed', 0, 2 ** 31);
      const users = parseNumber(opts.users, 'users', 1, 10_000);
      if (opts.lang !== 'en' && opts.lang !== 'zh')
        throw new RecError('INVALID_INPUT', `expected en or zh, got "${opts.lang}"`, { field: 'lang' });
      const { config } = storeConfig(cmd.optsWithGlobals().config, opts.db);
      const ok = await runDemoBuild(config, { seed, users, lang: opts.lang });
      if (!ok) process.exitCode = 130;
    });
}
