/**
 * What the commands share at the edge: the config with the command line's overrides, numeric
 * options checked and named, and the engine opened for one command and closed after it.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig, parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { createPseudonymiser, type Pseudonymiser } from '../core/privacy.ts';
import type { Context } from '../core/types.ts';
import type { Engine } from '../engine/types.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';

interface Overrides {
  db?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  /** `bus.url` */
  bus?: string | undefined;
  /** `cache.url` */
  cache?: string | undefined;
}

/** Loads the config (file + env) and applies command-line overrides, validated once more. */
export function commandConfig(file: string | undefined, o: Overrides = {}): Config {
  const base = loadConfig(file);
  if (Object.values(o).every((v) => v === undefined)) return base;
  return parseConfig({
    ...base,
    ...(o.bus !== undefined ? { bus: { ...base.bus, url: o.bus } } : {}),
    ...(o.cache !== undefined ? { cache: { ...base.cache, url: o.cache } } : {}),
    store: { ...base.store, ...(o.db !== undefined ? { url: o.db } : {}) },
    server: {
      ...base.server,
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
    },
  });
}

/** The file of a SQLite store URL (`sqlite://x.db` or a bare path); undefined for other stores. */
function storeFile(url: string): string | undefined {
  const path = url.startsWith('sqlite://')
    ? url.slice('sqlite://'.length)
    : /^[a-z]+:\/\//.test(url)
      ? ''
      : url;
  return path && path !== ':memory:' ? path : undefined;
}

/** how an error names where the store came from: the flag, or the config key */
const source = (db: string | undefined) => (db !== undefined ? '--db' : 'store.url');

const SQLITE_HEADER = 'SQLite format 3\0';

/** Refuses a path that holds something other than a SQLite database (a folder, a text file). */
function requireSqliteOrNothing(path: string, from: string): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory())
    throw new RecError('INVALID_INPUT', `${from} ${path} is a folder, not a database file`);
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  // an empty file is what SQLite itself leaves for a database it has not written to yet
  if (n > 0 && head.toString('latin1', 0, n) !== SQLITE_HEADER)
    throw new RecError(
      'INVALID_INPUT',
      `${from} ${path} is not a fusionrec database (not a SQLite file); check the path`,
    );
}

/**
 * `commandConfig` for a command that reads the store (stats, recommend, serve, train...): a file
 * store must exist and be a SQLite database. A mistyped path is an error, not a new empty database.
 */
export function readConfig(file: string | undefined, o: Overrides = {}): Config {
  const config = commandConfig(file, o);
  const path = storeFile(config.store.url);
  if (path === undefined) return config;
  if (!existsSync(path))
    throw new RecError(
      'NOT_FOUND',
      `no database at ${path} (${source(o.db)}); run \`fusionrec import\` or \`fusionrec demo\` first`,
    );
  requireSqliteOrNothing(path, source(o.db));
  return config;
}

/** A store a command may create, and what `discard` removes when that command fails. */
export interface CreatedStore {
  config: Config;
  /** true when the database file did not exist before this command */
  created: boolean;
  /**
   * Removes the database this command created (with its -wal, -shm and -journal files, and the
   * folders made for it); call after the store is closed. Does nothing for a store that existed.
   */
  discard(): void;
}

/** `commandConfig` for import, demo and up, which may create the store: a file store's folder is made if missing. */
export function storeConfig(file: string | undefined, db: string | undefined): CreatedStore {
  const config = commandConfig(file, { db });
  const path = storeFile(config.store.url);
  if (path === undefined) return { config, created: false, discard() {} };
  requireSqliteOrNothing(path, source(db));
  const created = !existsSync(path);
  const madeDir = mkdirSync(dirname(path), { recursive: true });
  return {
    config,
    created,
    discard() {
      if (!created) return;
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
      // the first folder mkdir made holds nothing but what this command wrote
      if (madeDir !== undefined) rmSync(madeDir, { recursive: true, force: true });
    },
  };
}

/** Parses a numeric option, naming it in the error. */
export function parseNumber(raw: string, field: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new RecError('INVALID_INPUT', `must be a number in [${min}, ${max}], got "${raw}"`, { field });
  }
  return v;
}

/**
 * The request context the `--device`, `--hour` and `--weekday` options give, each checked and named;
 * undefined when none is set (the request's own time then decides hour and day).
 */
export function requestContext(opts: {
  device?: string;
  hour?: string;
  weekday?: string;
}): Context | undefined {
  const context: Context = {};
  if (opts.device) context.device = opts.device;
  if (opts.hour !== undefined) context.hour = parseNumber(opts.hour, 'hour', 0, 23);
  if (opts.weekday !== undefined) context.weekday = parseNumber(opts.weekday, 'weekday', 0, 6);
  return Object.keys(context).length > 0 ? context : undefined;
}

/**
 * Runs `fn` on the engine the config describes (its store, its encoder), then closes it; `store`
 * is the engine's, for what the engine does not answer (titles, whether a user exists).
 */
export async function withEngine<T>(
  config: Config,
  fn: (engine: Engine, pseudonym: Pseudonymiser, store: Store) => Promise<T>,
  /** runs on the store before the engine (and its language model) loads, so a bad request fails fast */
  precheck?: (store: Store, pseudonym: Pseudonymiser) => Promise<void>,
): Promise<T> {
  const store = await openStore(config.store.url);
  const pseudonym = createPseudonymiser(config.privacy);
  try {
    await precheck?.(store, pseudonym);
    // loaded here, not at the top: commands that only read the store never load the engine
    const { createEngine } = await import('../engine/create.ts');
    const engine = await createEngine(config, { store });
    try {
      return await fn(engine, pseudonym, store);
    } finally {
      await engine.close();
    }
  } finally {
    await store.close();
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
