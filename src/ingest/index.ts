/**
 * Importers: `importDataset(store, format, path)` streams a file (or a dataset folder) into a store.
 * Every format is a Reader (an async generator of validated records); one BatchWriter writes them.
 * Writes are idempotent (item upserts, events keyed by id) and a checkpoint in the store's meta
 * table lets an interrupted or crashed import resume where it stopped.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { RecError } from '../core/errors.ts';
import type { Pseudonymiser } from '../core/privacy.ts';
import type { Scenario } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import { csvReader } from './canonical/csv.ts';
import { jsonlReader } from './canonical/jsonl.ts';
import { beauty } from './datasets/beauty.ts';
import { foodKitchen } from './datasets/food-kitchen.ts';
import { lastfm2k } from './datasets/lastfm-2k.ts';
import { scientific } from './datasets/scientific.ts';
import type { ImportProgress, ImportReport, Reader, ReaderContext } from './types.ts';
import { BatchWriter, ScenarioRegistry } from './writer.ts';

export type { ImportProgress, ImportReport, Reader } from './types.ts';

/** The format registry: a plain object, the one place formats are named. */
const READERS = {
  'food-kitchen': foodKitchen,
  scientific,
  'lastfm-2k': lastfm2k,
  beauty,
  jsonl: jsonlReader,
  csv: csvReader,
} as const satisfies Record<string, Reader>;

export type ImportFormat = keyof typeof READERS;
export const IMPORT_FORMATS = Object.keys(READERS) as ImportFormat[];

export interface ImportOptions {
  /** records per write transaction (default 20,000, config `store.batchSize`) */
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
  /** aborting stops after the current batch with an INTERRUPTED error; rerun to resume */
  signal?: AbortSignal;
  /** applied to every user id before it reaches the store (config `privacy.pseudonymise`) */
  pseudonymise?: Pseudonymiser;
  /** scenarios from config, which events and items may reference without declaring them */
  scenarios?: readonly Scenario[];
  /** longest accepted line in bytes (default 16 MiB); a longer one is a PAYLOAD_TOO_LARGE error */
  maxLineBytes?: number;
  /** return at once (report.skipped) when this exact input was already imported completely */
  once?: boolean;
}

function isImportFormat(f: string): f is ImportFormat {
  return Object.hasOwn(READERS, f);
}

/** Key of the resume checkpoint: the format and the path, size and mtime of every input file. */
async function checkpointKey(format: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256').update(format);
  for (const f of files) {
    const s = await stat(f);
    h.update(`\0${resolve(f)}\0${s.size}\0${s.mtimeMs}`);
  }
  return `import:${h.digest('hex').slice(0, 32)}`;
}

async function totalSize(files: readonly string[]): Promise<number> {
  let n = 0;
  for (const f of files) n += (await stat(f)).size;
  return n;
}

function interrupted(records: number, written: boolean): RecError {
  return new RecError(
    'INTERRUPTED',
    written
      ? `import interrupted after ${records} records were written; run the same command again to resume`
      : 'import interrupted while validating; nothing was written',
    { details: { records } },
  );
}

/** Shared datasets reuse small integer item ids: two of them in one store would overwrite each other. */
async function refuseForeignDataset(store: Store, reader: Reader): Promise<void> {
  if (!reader.scenarios) return;
  for (const s of await store.scenarios.list()) {
    if (!reader.scenarios.includes(s.id) && (await store.items.count(s.id)) > 0)
      throw new RecError(
        'CONFLICT',
        `this store already holds items of scenario "${s.id}"; import each shared dataset into its own database`,
        { field: 'db' },
      );
  }
}

export async function importDataset(
  store: Store,
  format: string,
  path: string,
  opts: ImportOptions = {},
): Promise<ImportReport> {
  const started = Date.now();
  if (!isImportFormat(format))
    throw new RecError('INVALID_INPUT', `unknown format "${format}"; one of ${IMPORT_FORMATS.join(', ')}`, {
      field: 'format',
    });
  const reader: Reader = READERS[format];
  const batchSize = opts.batchSize ?? 20_000;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RecError('INVALID_INPUT', 'batchSize must be a positive integer', { field: 'batchSize' });
  const files = await reader.files(path);
  await reader.check?.(path, files);
  const totalBytes = await totalSize(files);
  const key = await checkpointKey(format, files);
  await refuseForeignDataset(store, reader);

  const checkpoint = await store.getMeta(key);
  if (opts.once && checkpoint === 'done') {
    return {
      format,
      path,
      records: 0,
      scenarios: 0,
      items: 0,
      users: 0,
      events: { read: 0, inserted: 0, duplicates: 0 },
      resumedFrom: 0,
      skipped: true,
      notes: {},
      ms: Date.now() - started,
    };
  }
  const notes: Record<string, number> = {};
  let bytes = 0;
  const ctx = (counting: boolean): ReaderContext => ({
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {}),
    pseudonymising: opts.pseudonymise !== undefined,
    pseudonymise: opts.pseudonymise ?? ((id) => id),
    onBytes: (b) => {
      bytes = b;
    },
    note: (k, n = 1) => {
      if (counting) notes[k] = (notes[k] ?? 0) + n;
    },
  });
  const stored = await store.scenarios.list();
  const progress = (phase: ImportProgress['phase'], records: number, events: number) =>
    opts.onProgress?.({ phase, passes: reader.validateFirst ? 2 : 1, records, events, bytes, totalBytes });

  if (reader.validateFirst) {
    // Pass 1: the whole input is parsed and checked before the first write, so a bad record
    // leaves the store exactly as it was.
    const registry = new ScenarioRegistry(stored, opts.scenarios ?? []);
    let records = 0;
    let events = 0;
    for await (const rec of reader.read(path, ctx(false))) {
      registry.check(rec);
      records++;
      if (rec.kind === 'event') events++;
      if (records % 50_000 === 0) {
        progress('validate', records, events);
        await yieldToEventLoop();
        if (opts.signal?.aborted) throw interrupted(records, false);
      }
    }
    if (opts.signal?.aborted) throw interrupted(records, false);
    progress('validate', records, events);
    bytes = 0;
  }

  // Pass 2: write in batches, checkpointing after each.
  const resumedFrom = checkpoint && /^\d+$/.test(checkpoint) ? Number(checkpoint) : 0;
  const registry = new ScenarioRegistry(stored, opts.scenarios ?? []);
  const writer = new BatchWriter(store, batchSize, opts.pseudonymise);
  let ordinal = 0;
  let skippedEvents = 0;
  // One batch is written while the next is read and buffered, so the store's work and the
  // parsing overlap; batches reach the store in turn, each checkpointed once it is written.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const batch = writer.take();
    const at = ordinal;
    const read = skippedEvents + writer.counts.eventsRead;
    await writing;
    writing = (async () => {
      await writer.write(batch);
      await store.setMeta(key, String(at));
      progress('write', at, read);
    })();
    // a failed write is thrown by the next flush (or the last one), not left unhandled meanwhile
    writing.catch(() => {});
    // A file of a few MiB is parsed without ever waiting on I/O: give signal handlers (Ctrl-C)
    // their turn once per batch.
    await yieldToEventLoop();
    if (opts.signal?.aborted) {
      await writing;
      throw interrupted(ordinal, true);
    }
  };
  const writeAll = async () => {
    for await (const rec of reader.read(path, ctx(true))) {
      // Stop before counting anything read after the abort, so the checkpoint stays exact.
      if (opts.signal?.aborted) break;
      registry.check(rec);
      const fromConfig = registry.takePending(rec);
      ordinal++;
      if (ordinal <= resumedFrom) {
        if (rec.kind === 'event') skippedEvents++;
        continue;
      }
      if (fromConfig) writer.addScenario(fromConfig);
      if (writer.add(rec)) await flush();
    }
    await flush();
    await writing;
  };
  // a store may defer work to the end of the load (PostgreSQL builds its index by user once)
  await (store.events.bulkLoad ? store.events.bulkLoad(writeAll) : writeAll());
  await store.setMeta(key, 'done');

  const c = writer.counts;
  return {
    format,
    path,
    records: ordinal,
    scenarios: c.scenarios,
    items: c.items,
    users: c.users,
    events: { read: c.eventsRead, inserted: c.inserted, duplicates: c.duplicates },
    resumedFrom,
    skipped: false,
    notes,
    ms: Date.now() - started,
  };
}
