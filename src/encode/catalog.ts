/**
 * Write path step "encode": item -> unified text -> text vector (cached) -> fused item vector.
 *
 * Namespaces (per encoder id):
 * - `itemvec:<encoderId>`  item id -> fused item vector (Float32 bytes); what retrieval reads
 * - `itemtext:<encoderId>` item id -> fingerprint of everything the vector was made from (unified
 *   text, fusion weights, modality vectors); unchanged fingerprint = nothing to do
 * - `emb:<encoderId>` (the embedding cache, maybe in another file) text hash -> text vector
 * - `enrich` item id -> JSON Enrichment written by the generative model (src/generate)
 *
 * Item vectors are written with a fresh stamp in the same put (store/derived/matrix.ts), so a
 * boot that reads them as one saved matrix knows when the rows changed since.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_FUSION, type FusionWeights } from '../config/fusion.ts';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { hasCjk, scriptsOf } from '../core/tokens.ts';
import type { Item, Scenario } from '../core/types.ts';
import { readRows, restamp, rowKeys, withStamp } from '../store/derived/matrix.ts';
import type { Store } from '../store/types.ts';
import { type EmbeddingCache, storeEmbeddingCache, textHash, vectorBytes } from './cache.ts';
import { fuseItemVector, ngramSource } from './fuse.ts';
import { type Enrichment, unifiedText } from './template.ts';
import type { Encoder } from './types.ts';

/** bump when the meaning of a stored vector changes, so every fingerprint changes */
const FORMAT = 1;
export const ENRICH_NAMESPACE = 'enrich';
export const itemVectorNamespace = (encoderId: string) => `itemvec:${encoderId}`;
const itemTextNamespace = (encoderId: string) => `itemtext:${encoderId}`;

export interface EncodeOptions {
  /** where text vectors are cached; default: the store itself */
  cache?: EmbeddingCache;
  fusion?: FusionWeights;
  template?: readonly string[];
  maxDescriptionChars?: number;
  /** only this scenario's items (no pruning of other vectors then) */
  scenario?: string;
  /** items per step; an interrupt stops after the steps in flight (at most two) */
  pageSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: EncodeProgress) => void;
  /**
   * called once when items the encoder cannot read are met (the warning names the fix); default:
   * `process.emitWarning`, once per process and encoder
   */
  onWarning?: (message: string) => void;
}

export interface EncodeProgress {
  done: number;
  total: number;
}

export interface EncodeReport {
  items: number;
  /** items whose vector was (re)computed */
  updated: number;
  /** items skipped because nothing they are made from changed */
  unchanged: number;
  /** texts sent to the model */
  modelTexts: number;
  /** text vectors taken from the cache */
  cacheHits: number;
  /** items whose text the encoder reads poorly, given the character n-gram channel */
  unreadable: number;
  /** those items by the writing systems they use beyond Latin ("Chinese": 812) */
  unreadableLanguages: Record<string, number>;
  /** vectors of items no longer in the store, removed */
  removed: number;
  interrupted: boolean;
}

interface Prepared {
  item: Item;
  text: string;
  fingerprint: string;
}

function fingerprint(encoderId: string, text: string, item: Item, fusion: FusionWeights): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        FORMAT,
        encoderId,
        text,
        // only the weights: a config's fusion section also carries the template, already in `text`
        [fusion.text, fusion.image, fusion.audio, fusion.ngram, fusion.minCoverage],
        ngramSource(item),
        // CJK items' n-gram channel also hashes jieba words: their vectors are made anew once
        ...(hasCjk(ngramSource(item)) ? ['cjk-words'] : []),
        item.image?.vector ?? null,
        item.audio?.vector ?? null,
      ]),
    )
    .digest('hex');
}

const enc = new TextEncoder();
const dec = new TextDecoder();

const warnedEncoders = new Set<string>();
/** Without an `onWarning` callback the warning goes to Node's warning channel, once per encoder. */
function processWarning(encoderId: string): (m: string) => void {
  return (m) => {
    if (warnedEncoders.has(encoderId)) return;
    warnedEncoders.add(encoderId);
    process.emitWarning(m, { code: 'FUSIONREC_UNREADABLE_TEXT' });
  };
}

/** One notice naming the encoder, the languages it cannot read, how many items, and the fix. */
function unreadableWarning(encoderId: string, languages: Record<string, number>, which: string): string {
  const names = Object.entries(languages)
    .sort((a, b) => b[1] - a[1])
    .map(([l]) => l);
  return (
    `encoder ${encoderId} cannot read ${names.join(', ') || 'the'} text of ${which}; ` +
    'those items get a character n-gram channel instead (words, not meaning). Fix: configure a multilingual model ' +
    '(encoder.provider "onnx" with a multilingual sentence-transformer folder, or "openai").'
  );
}

/** The fusion settings a configuration implies, so every caller (CLI, eval, engine, demo) fuses items alike. */
export function fusionOptionsOf(
  cfg: Config['encoder'],
): Pick<EncodeOptions, 'fusion' | 'template' | 'maxDescriptionChars'> {
  return {
    fusion: cfg.fusion,
    template: cfg.fusion.template,
    maxDescriptionChars: cfg.fusion.maxDescriptionChars,
  };
}

/**
 * Encodes the given items if anything they are made from changed: looks up text vectors in the
 * cache, sends only misses to the model, fuses, stores item vectors. The incremental step that
 * import and upsert call; `encodeCatalog` runs it page by page over the store.
 */
export async function encodeItems(
  store: Store,
  encoder: Encoder,
  items: readonly Item[],
  opts: EncodeOptions & { scenarios?: ReadonlyMap<string, Scenario> } = {},
): Promise<Omit<EncodeReport, 'removed' | 'interrupted' | 'items'>> {
  const fusion = opts.fusion ?? DEFAULT_FUSION;
  const cache = opts.cache ?? storeEmbeddingCache(store);
  const scenarios = opts.scenarios ?? new Map((await store.scenarios.list()).map((s) => [s.id, s]));
  const ids = items.map((i) => i.id);
  const [previous, enrichments] = await Promise.all([
    store.blobs.getMany(itemTextNamespace(encoder.id), ids),
    store.blobs.getMany(ENRICH_NAMESPACE, ids),
  ]);
  const changed: Prepared[] = [];
  for (const item of items) {
    const e = enrichments.get(item.id);
    const enrichment = e ? (JSON.parse(dec.decode(e)) as Enrichment) : undefined;
    const text = unifiedText(item, scenarios.get(item.scenario), {
      ...(opts.template ? { template: opts.template } : {}),
      ...(opts.maxDescriptionChars ? { maxDescriptionChars: opts.maxDescriptionChars } : {}),
      ...(enrichment ? { enrichment } : {}),
    });
    const fp = fingerprint(encoder.id, text, item, fusion);
    const prev = previous.get(item.id);
    if (prev && dec.decode(prev) === fp) continue;
    changed.push({ item, text, fingerprint: fp });
  }
  const report = {
    updated: changed.length,
    unchanged: items.length - changed.length,
    modelTexts: 0,
    cacheHits: 0,
    unreadable: 0,
    unreadableLanguages: {} as Record<string, number>,
  };
  if (changed.length === 0) return report;

  const hashes = changed.map((p) => textHash(p.text));
  const cached = await cache.get(encoder.id, [...new Set(hashes)]);
  const missing = new Map<string, string>();
  hashes.forEach((h, i) => {
    if (!cached.has(h)) missing.set(h, changed[i]!.text);
  });
  report.cacheHits = changed.length - [...hashes].filter((h) => missing.has(h)).length;
  if (missing.size > 0) {
    const texts = [...missing.values()];
    const vectors = await encoder.encode(texts);
    if (vectors.length !== texts.length)
      throw new RecError(
        'ENCODER_UNAVAILABLE',
        `encoder ${encoder.id} returned ${vectors.length} vectors for ${texts.length} texts`,
      );
    report.modelTexts = texts.length;
    const fresh = [...missing.keys()].map((hash, i) => ({ hash, vector: vectors[i]! }));
    for (const f of fresh) {
      if (f.vector.length !== encoder.dim)
        throw new RecError(
          'ENCODER_UNAVAILABLE',
          `encoder ${encoder.id} returned a ${f.vector.length}-d vector, expected ${encoder.dim}`,
        );
      cached.set(f.hash, f.vector);
    }
    await cache.put(encoder.id, fresh);
  }

  const vecs: { key: string; value: Uint8Array }[] = [];
  const fps: { key: string; value: Uint8Array }[] = [];
  let warned = false;
  changed.forEach((p, i) => {
    const coverage = encoder.coverage ? encoder.coverage(ngramSource(p.item)) : 1;
    if (coverage < fusion.minCoverage) {
      report.unreadable++;
      const languages = scriptsOf(ngramSource(p.item));
      for (const l of languages.length > 0 ? languages : ['other'])
        report.unreadableLanguages[l] = (report.unreadableLanguages[l] ?? 0) + 1;
      if (!warned) {
        warned = true;
        (opts.onWarning ?? processWarning(encoder.id))(
          unreadableWarning(encoder.id, report.unreadableLanguages, `e.g. "${p.item.title.slice(0, 40)}"`),
        );
      }
    }
    const v = fuseItemVector({ text: cached.get(hashes[i]!)!, coverage, item: p.item }, fusion);
    vecs.push({ key: p.item.id, value: vectorBytes(v) });
    fps.push({ key: p.item.id, value: enc.encode(p.fingerprint) });
  });
  // vector first, fingerprint second: a crash in between only costs a recomputation
  await store.blobs.put(itemVectorNamespace(encoder.id), withStamp(vecs));
  await store.blobs.put(itemTextNamespace(encoder.id), fps);
  return report;
}

/**
 * Encodes every item of the store whose unified text (or any other input of its vector) changed
 * since the last run, page by page; stops cleanly after the current page when `signal` aborts, so
 * a rerun continues where it stopped. A full run (no scenario filter) also removes the vectors of
 * items no longer in the store.
 */
export async function encodeCatalog(
  store: Store,
  encoder: Encoder,
  opts: EncodeOptions = {},
): Promise<EncodeReport> {
  const pageSize = opts.pageSize ?? 512;
  const scenarios = new Map((await store.scenarios.list()).map((s) => [s.id, s]));
  const total = await store.items.count(opts.scenario);
  const report: EncodeReport = {
    items: 0,
    updated: 0,
    unchanged: 0,
    modelTexts: 0,
    cacheHits: 0,
    unreadable: 0,
    unreadableLanguages: {},
    removed: 0,
    interrupted: false,
  };
  const seen = new Set<string>();
  // one notice for the whole catalog, after the last page, with the counts
  const onWarning = () => {};
  const pages = store.items.pages({ limit: pageSize, scenario: opts.scenario })[Symbol.asyncIterator]();
  opts.onProgress?.({ done: 0, total });
  type Step = { page: Item[]; result: Promise<Awaited<ReturnType<typeof encodeItems>>> };
  const settle = async ({ page, result }: Step) => {
    const r = await result;
    for (const it of page) seen.add(it.id);
    report.items += page.length;
    report.updated += r.updated;
    report.unchanged += r.unchanged;
    report.modelTexts += r.modelTexts;
    report.cacheHits += r.cacheHits;
    report.unreadable += r.unreadable;
    for (const [l, n] of Object.entries(r.unreadableLanguages))
      report.unreadableLanguages[l] = (report.unreadableLanguages[l] ?? 0) + n;
    opts.onProgress?.({ done: report.items, total });
  };
  // Two pages in flight: the next page's batches queue up behind the current one's, so the worker
  // threads never idle at a page boundary while the main thread fuses and writes.
  let inFlight: Step | undefined;
  for (;;) {
    let next: Step | undefined;
    if (opts.signal?.aborted) report.interrupted = true;
    else {
      // a finished iterator answers without reading again
      const read = await pages.next();
      if (!read.done) {
        const page = read.value;
        next = { page, result: encodeItems(store, encoder, page, { ...opts, scenarios, onWarning }) };
        // observed below; this only keeps a failure while the other page settles from going unhandled
        next.result.catch(() => {});
      }
    }
    if (inFlight) {
      try {
        await settle(inFlight);
      } catch (e) {
        await next?.result.catch(() => {});
        throw e;
      }
    }
    inFlight = next;
    if (!inFlight) break;
  }
  if (report.unreadable > 0) {
    const share = `${report.unreadable} of ${report.items} items (${((100 * report.unreadable) / Math.max(1, report.items)).toFixed(1)}%)`;
    (opts.onWarning ?? processWarning(encoder.id))(
      unreadableWarning(encoder.id, report.unreadableLanguages, share),
    );
  }
  if (!report.interrupted && opts.scenario === undefined) {
    const ns = itemVectorNamespace(encoder.id);
    const stale = (await rowKeys(store.blobs, ns)).filter((k) => !seen.has(k));
    if (stale.length > 0) {
      await store.blobs.delete(itemTextNamespace(encoder.id), stale);
      await store.blobs.delete(ns, stale);
      await restamp(store.blobs, ns);
    }
    report.removed = stale.length;
  }
  return report;
}

export interface ItemVectors {
  ids: string[];
  dim: number;
  /** row-major, one unit-length row per id */
  vectors: Float32Array;
}

/**
 * Item vectors of one encoder, as one row-major matrix. Rows follow `ids` when given (unknown ids
 * skipped), else all encoded items ordered by id.
 */
export async function loadItemVectors(
  store: Pick<Store, 'blobs'>,
  encoderId: string,
  opts: { ids?: readonly string[] } = {},
): Promise<ItemVectors> {
  const ns = itemVectorNamespace(encoderId);
  try {
    const m = await readRows(store.blobs, ns, opts.ids);
    return { ids: m.ids, dim: m.dim, vectors: m.data };
  } catch (e) {
    throw new RecError('STORE_ERROR', `item vectors under ${ns}: ${(e as Error).message}`, { cause: e });
  }
}
