import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { eventSchema, itemSchema, scenarioSchema, userSchema } from '../core/types.ts';
import { validate } from '../core/validate.ts';
import { type EmbeddingCache, openEmbeddingCache } from '../encode/cache.ts';
import { type EncodeOptions, type EncodeReport, encodeCatalog, fusionOptionsOf } from '../encode/catalog.ts';
import type { Encoder } from '../encode/types.ts';
import { createComponents } from '../engine/create.ts';
import type { Store } from '../store/types.ts';
import { type DemoOptions, generateDemo } from './generate.ts';

const DEMO_META_KEY = 'demo:built';
const DEMO_STARTED_KEY = 'demo:started';

export interface DemoReport {
  scenarios: number;
  items: number;
  users: number;
  events: number;
  inserted: number;
}

/**
 * Writes the demo data into a store: every record through the same schemas as the importers,
 * each kind in one transaction, events idempotent on id. A meta key marks completion, so an
 * interrupted build is simply run again (`isDemoBuilt` is false until then).
 */
export async function writeDemo(
  store: Store,
  opts: DemoOptions = {},
  onStep: (step: string) => void = () => {},
): Promise<DemoReport> {
  const data = generateDemo(opts);
  const scenarios = data.scenarios.map((s, i) => validate(scenarioSchema, s, { prefix: `scenarios[${i}]` }));
  const items = data.items.map((it, i) => validate(itemSchema, it, { prefix: `items[${i}]` }));
  const users = data.users.map((u, i) => validate(userSchema, u, { prefix: `users[${i}]` }));
  const events = data.events.map((e, i) => validate(eventSchema, e, { prefix: `events[${i}]` }));
  await store.setMeta(DEMO_STARTED_KEY, new Date().toISOString());
  onStep(`writing ${scenarios.length} scenarios, ${items.length} items, ${users.length} users`);
  await store.scenarios.upsert(scenarios);
  await store.items.upsert(items);
  await store.users.upsert(users);
  onStep(`writing ${events.length} events`);
  const r = await store.events.add(events);
  return {
    scenarios: scenarios.length,
    items: items.length,
    users: users.length,
    events: events.length,
    inserted: r.inserted,
  };
}

async function markDemoBuilt(store: Store, info: Record<string, unknown>): Promise<void> {
  await store.setMeta(DEMO_META_KEY, JSON.stringify({ ...info, at: new Date().toISOString() }));
}

export async function isDemoBuilt(store: Store): Promise<boolean> {
  return (await store.getMeta(DEMO_META_KEY)) !== undefined;
}

/** Data to serve: a finished demo, or any catalog that is not a half-built demo. */
async function hasServableData(store: Store): Promise<boolean> {
  if (await isDemoBuilt(store)) return true;
  if ((await store.getMeta(DEMO_STARTED_KEY)) !== undefined) return false;
  return (await store.items.count()) > 0;
}

export interface BuildDemoOptions extends DemoOptions {
  /** where text vectors are cached (default: the demo store itself) */
  cache?: EmbeddingCache;
  /** fusion settings (`fusionOptionsOf(config.encoder)`); default: the built-in ones */
  fusion?: Pick<EncodeOptions, 'fusion' | 'template' | 'maxDescriptionChars'>;
  signal?: AbortSignal;
  onStep?: (step: string) => void;
  onEncodeProgress?: (done: number, total: number) => void;
}

/**
 * The whole demo build: data, then item vectors from the real encoder (cached, so a rerun after an
 * interrupt only encodes what is missing), then the completion mark. Returns false if interrupted.
 */
export async function buildDemo(
  store: Store,
  encoder: Encoder,
  opts: BuildDemoOptions = {},
): Promise<{ report: DemoReport; encoded: EncodeReport; complete: boolean }> {
  const step = opts.onStep ?? (() => {});
  const report = await writeDemo(store, opts, step);
  step(`encoding ${report.items} items with ${encoder.id}`);
  const encoded = await encodeCatalog(store, encoder, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.cache ? { cache: opts.cache } : {}),
    ...opts.fusion,
    pageSize: 64,
    onProgress: (p) => opts.onEncodeProgress?.(p.done, p.total),
  });
  if (encoded.interrupted) return { report, encoded, complete: false };
  await markDemoBuilt(store, { seed: opts.seed ?? 42, encoder: encoder.id, ...report });
  return { report, encoded, complete: true };
}

/**
 * The demo build `fusionrec demo` and `up` run: into the config's store, with the config's encoder
 * (so the vectors are the ones the engine will serve) and embedding cache. Returns false if
 * interrupted; a rerun continues (records are idempotent, vectors cached).
 */
export async function buildDemoStore(
  config: Config,
  opts: Omit<BuildDemoOptions, 'cache' | 'fusion'> = {},
): Promise<{ report: DemoReport; encoded: EncodeReport; complete: boolean }> {
  const parts = await createComponents(config);
  const cache = openEmbeddingCache(parts.store, config.encoder.cachePath);
  try {
    if (!parts.encoder) throw new RecError('INTERNAL', 'no encoder to encode the demo catalog with');
    return await buildDemo(parts.store, parts.encoder, {
      ...opts,
      cache,
      fusion: fusionOptionsOf(config.encoder),
    });
  } finally {
    await cache.close();
    await parts.close();
  }
}

/** True when the config's store holds data to serve (not a half-built demo); creates no file. */
export async function hasDataToServe(config: Config): Promise<boolean> {
  const url = config.store.url;
  const isFile = url.startsWith('sqlite://') || !/^[a-z]+:\/\//.test(url);
  if (isFile && !existsSync(url.replace(/^sqlite:\/\//, ''))) return false;
  const parts = await createComponents(config, { encoder: null });
  try {
    return await hasServableData(parts.store);
  } finally {
    await parts.close();
  }
}
