import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { buildDemo, hasServableData } from '../../demo/build.ts';
import { openEmbeddingCache } from '../../encode/cache.ts';
import { fusionOptionsOf } from '../../encode/catalog.ts';
import { openEncoder, runtimeConfig } from '../../serve/runtime.ts';
import { openStore } from '../../store/open.ts';
import { parseNumber } from './serve.ts';

export function dbPath(config: Config): string {
  return config.store.url.replace(/^sqlite:\/\//, '');
}

/**
 * Builds the demo database with progress on stderr; Ctrl-C stops after the current step and a
 * rerun continues (records are idempotent, vectors cached). Returns false when interrupted.
 */
export async function runDemoBuild(
  config: Config,
  opts: { seed?: number; users?: number } = {},
): Promise<boolean> {
  const store = await openStore(config.store.url);
  const controller = new AbortController();
  const onSigint = () => {
    console.error('\ninterrupt: stopping after the current step (run again to continue)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const encoder = await openEncoder(config);
  const cache = openEmbeddingCache(store, config.encoder.cachePath);
  try {
    const started = Date.now();
    const { report, encoded, complete } = await buildDemo(store, encoder, {
      ...opts,
      cache,
      fusion: fusionOptionsOf(config.encoder),
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
    await cache.close();
    await encoder.close();
    await store.close();
  }
}

/** True when the database at the config's store URL holds data to serve (not a half-built demo). */
export async function hasData(config: Config): Promise<boolean> {
  const url = config.store.url;
  const isFile = url.startsWith('sqlite://') || !/^[a-z]+:\/\//.test(url);
  if (isFile && !existsSync(dbPath(config))) return false;
  const store = await openStore(url);
  try {
    return await hasServableData(store);
  } finally {
    await store.close();
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
    .action(async (opts: { db: string; seed: string; users: string }, cmd: Command) => {
      const config = runtimeConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const ok = await runDemoBuild(config, {
        seed: parseNumber(opts.seed, 'seed', 0, 2 ** 31),
        users: parseNumber(opts.users, 'users', 1, 10_000),
      });
      if (!ok) process.exitCode = 130;
    });
}
