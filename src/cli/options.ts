/**
 * What the commands share at the edge: the config with the command line's overrides, numeric
 * options checked and named, and the engine opened for one command and closed after it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig, parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { createPseudonymiser, type Pseudonymiser } from '../core/privacy.ts';
import type { Engine } from '../engine/types.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';

interface Overrides {
  db?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
}

/** Loads the config (file + env) and applies command-line overrides, validated once more. */
export function commandConfig(file: string | undefined, o: Overrides = {}): Config {
  const base = loadConfig(file);
  if (o.db === undefined && o.host === undefined && o.port === undefined) return base;
  return parseConfig({
    ...base,
    store: { ...base.store, ...(o.db !== undefined ? { url: o.db } : {}) },
    server: {
      ...base.server,
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
    },
  });
}

/** `commandConfig` for a command that may create the store: a file store's folder is made if missing. */
export function storeConfig(file: string | undefined, db: string | undefined): Config {
  const config = commandConfig(file, { db });
  const url = config.store.url;
  const path = url.startsWith('sqlite://')
    ? url.slice('sqlite://'.length)
    : /^[a-z]+:\/\//.test(url)
      ? ''
      : url;
  if (path && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return config;
}

/** Parses a numeric option, naming it in the error. */
export function parseNumber(raw: string, field: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new RecError('INVALID_INPUT', `must be a number in [${min}, ${max}], got "${raw}"`, { field });
  }
  return v;
}

/** Runs `fn` on the engine the config describes (its store, its encoder), then closes it. */
export async function withEngine<T>(
  config: Config,
  fn: (engine: Engine, pseudonym: Pseudonymiser) => Promise<T>,
): Promise<T> {
  // loaded here, not at the top: commands that only read the config never load the engine
  const { createEngine } = await import('../engine/create.ts');
  const engine = await createEngine(config);
  try {
    return await fn(engine, createPseudonymiser(config.privacy));
  } finally {
    await engine.close();
  }
}

/** Runs `fn` on the config's store alone (no encoder: nothing to encode), then closes it. */
export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config.store.url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * A long command's Ctrl-C: the first aborts `signal` (the job stops at its next safe point and
 * says so with `message`), a second quits at once. `release` before the command returns.
 */
export function interruptOnSigint(message: string): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${message} (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}
