/**
 * A static token-embedding table distilled from a sentence encoder, as Model2Vec distils sentence
 * transformers: every word of the catalog's vocabulary is embedded once by the full encoder, the
 * vectors are centred and reduced with PCA, each is weighted by how rare the word is (SIF:
 * a / (a + p(w))), and a text becomes the normalised sum of its words' vectors. Encoding is a
 * tokenisation and a few hundred additions per word, thousands of texts a second on one core,
 * where the full model manages tens; the price is word order and any word outside the table.
 *
 * The table lives in the derived store (blob namespace `distil`, one blob per source encoder) with
 * the source encoder's id, so vectors made by different sources never mix.
 */
import { createHash } from 'node:crypto';
import { RecError } from '../core/errors.ts';
import { topEigenvectors } from '../core/pca.ts';
import { words } from '../core/tokens.ts';
import type { BlobStore, Store } from '../store/types.ts';
import { chunks, l2normalise } from './batch.ts';
import { type EmbeddingCache, textHash } from './cache.ts';
import { unifiedText } from './template.ts';
import type { Encoder } from './types.ts';

const DISTIL_NAMESPACE = 'distil';
const FORMAT = 1;

export interface DistilledTable {
  /** id of the encoder the table was distilled from (its stamp) */
  source: string;
  dim: number;
  /** folded words (as `words()` folds them), row order of `vectors` */
  tokens: string[];
  /** tokens.length x dim, row-major: centred, projected, SIF-weighted (not normalised) */
  vectors: Float32Array;
  /** unit vector for a text with no known word: the source's vector of the empty text, projected */
  empty: Float32Array;
}

export interface DistilOptions {
  /** PCA components kept; at least the source's dimension = centring only (default 256) */
  dims?: number;
  /** words seen fewer times are left out (default 1) */
  minCount?: number;
  /** most words kept, the most frequent first (default 50 000) */
  maxVocab?: number;
  /** SIF smoothing a: a word of probability p weighs a / (a + p) (default 1e-3) */
  sifA?: number;
  /** below this share of readable characters (source `coverage`) a word is left out (default 0.5) */
  minCoverage?: number;
  /** words per call to the source encoder (default 2048) */
  batch?: number;
  /** word vectors are looked up here first and written here after each call */
  cache?: EmbeddingCache;
  signal?: AbortSignal;
  onProgress?(p: { done: number; total: number }): void;
}

export interface VocabularyEntry {
  word: string;
  count: number;
}

/** Word counts over texts, most frequent first (ties by word), `minCount` and `maxVocab` applied. */
export function countVocabulary(
  texts: Iterable<string>,
  opts: { minCount?: number; maxVocab?: number } = {},
): { entries: VocabularyEntry[]; total: number } {
  const counts = new Map<string, number>();
  let total = 0;
  for (const t of texts) {
    for (const w of words(t)) {
      counts.set(w.word, (counts.get(w.word) ?? 0) + 1);
      total++;
    }
  }
  const minCount = opts.minCount ?? 1;
  const entries = [...counts]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, opts.maxVocab ?? 50_000)
    .map(([word, count]) => ({ word, count }));
  return { entries, total };
}

/** Vectors of `words` from the source encoder, through the cache, in batches. */
async function embedWords(
  source: Encoder,
  list: readonly string[],
  opts: DistilOptions,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  let done = 0;
  for (const part of chunks(list, opts.batch ?? 2048)) {
    opts.signal?.throwIfAborted();
    const hashes = part.map(textHash);
    const found = opts.cache ? await opts.cache.get(source.id, hashes) : new Map<string, Float32Array>();
    const missing = part.filter((_, i) => !found.has(hashes[i]!));
    if (missing.length > 0) {
      const vs = await source.encode(missing);
      const fresh = missing.map((w, i) => ({ hash: textHash(w), vector: vs[i]! }));
      for (const f of fresh) found.set(f.hash, f.vector);
      await opts.cache?.put(source.id, fresh);
    }
    for (const h of hashes) out.push(found.get(h)!);
    done += part.length;
    opts.onProgress?.({ done, total: list.length });
  }
  return out;
}

/**
 * Distils `source` over the vocabulary of `texts`. Costs one source call per distinct word (short
 * texts: the source batches them densely); everything after is arithmetic.
 */
export async function distilEncoder(
  source: Encoder,
  texts: Iterable<string>,
  opts: DistilOptions = {},
): Promise<DistilledTable> {
  const minCoverage = opts.minCoverage ?? 0.5;
  const { entries: all, total } = countVocabulary(texts, opts);
  // a word the source cannot read would get the source's "unknown" vector: better left out, so
  // that the text's coverage says so and the n-gram channel steps in
  const entries = source.coverage ? all.filter((e) => source.coverage!(e.word) >= minCoverage) : all;
  if (entries.length === 0)
    throw new RecError('INVALID_INPUT', `no word of the catalog is readable by ${source.id}`, {
      field: 'texts',
    });
  const raw = await embedWords(
    source,
    entries.map((e) => e.word),
    opts,
  );
  const [emptyRaw] = await source.encode(['']);
  const n = entries.length;
  const d = source.dim;

  // centre on the mean word vector: the direction every word shares carries no meaning
  const mean = new Float64Array(d);
  for (const v of raw) for (let j = 0; j < d; j++) mean[j]! += v[j]! / n;

  const k = Math.min(opts.dims ?? 256, d);
  const basis = k < d ? pcaBasis(raw, mean, k) : undefined;
  const project = (v: Float32Array): Float32Array => {
    const c = new Float64Array(d);
    for (let j = 0; j < d; j++) c[j] = v[j]! - mean[j]!;
    if (!basis) return Float32Array.from(c);
    const out = new Float32Array(k);
    for (let r = 0; r < k; r++) {
      let s = 0;
      const o = r * d;
      for (let j = 0; j < d; j++) s += basis[o + j]! * c[j]!;
      out[r] = s;
    }
    return out;
  };

  const a = opts.sifA ?? 1e-3;
  const vectors = new Float32Array(n * k);
  entries.forEach((e, i) => {
    const v = l2normalise(project(raw[i]!));
    const w = a / (a + e.count / total);
    for (let j = 0; j < k; j++) vectors[i * k + j] = v[j]! * w;
  });
  let empty = l2normalise(project(emptyRaw!));
  if (!empty.some((x) => x !== 0)) {
    empty = new Float32Array(k);
    empty[0] = 1;
  }
  return { source: source.id, dim: k, tokens: entries.map((e) => e.word), vectors, empty };
}

/** The unified texts of a store's items (as `encodeCatalog` sends them to the encoder). */
export async function catalogTexts(
  store: Store,
  opts: { scenario?: string; signal?: AbortSignal } = {},
): Promise<string[]> {
  const scenarios = new Map((await store.scenarios.list()).map((s) => [s.id, s]));
  const out: string[] = [];
  for await (const page of store.items.pages({
    limit: 2048,
    ...(opts.scenario ? { scenario: opts.scenario } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  }))
    for (const item of page) out.push(unifiedText(item, scenarios.get(item.scenario)));
  return out;
}

/** Top-k principal axes (rows of a k x d matrix) of the centred word vectors. */
function pcaBasis(raw: readonly Float32Array[], mean: Float64Array, k: number): Float64Array {
  const d = mean.length;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (const v of raw) {
    for (let j = 0; j < d; j++) c[j] = v[j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ca = c[a]!;
      if (ca === 0) continue;
      const o = a * d;
      for (let b = a; b < d; b++) cov[o + b]! += ca * c[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a]!;
  const start = new Float64Array(k * d);
  for (let i = 0; i < start.length; i++)
    start[i] =
      Math.sin(i * 12.9898 + 1) * 43758.5453 - Math.floor(Math.sin(i * 12.9898 + 1) * 43758.5453) - 0.5;
  // the subspace of the top k settles long before each axis does, and only the subspace matters
  return topEigenvectors(cov, d, k, { start, iterations: 30, tolerance: 1e-6 }).vectors;
}

/** Id of the distilled encoder: the source and a digest of the table, so a rebuilt table never reuses cached vectors. */
function tableId(t: DistilledTable): string {
  const h = createHash('sha256');
  h.update(t.source).update('\0').update(t.tokens.join('\n')).update('\0');
  h.update(new Uint8Array(t.vectors.buffer, t.vectors.byteOffset, t.vectors.byteLength));
  return `distil(${t.source})#${h.digest('hex').slice(0, 12)}`;
}

/** Bytes of a table: u32 header length, JSON header (format, source, dim, tokens), then Float32 rows and the empty vector. */
export function tableBytes(t: DistilledTable): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({ format: FORMAT, source: t.source, dim: t.dim, tokens: t.tokens }),
  );
  const pad = (4 - ((4 + header.length) % 4)) % 4;
  const out = new Uint8Array(4 + header.length + pad + (t.vectors.length + t.dim) * 4);
  new DataView(out.buffer).setUint32(0, header.length + pad, true);
  out.set(header, 4);
  out.fill(0x20, 4 + header.length, 4 + header.length + pad);
  const body = 4 + header.length + pad;
  out.set(new Uint8Array(t.vectors.buffer, t.vectors.byteOffset, t.vectors.byteLength), body);
  out.set(
    new Uint8Array(t.empty.buffer, t.empty.byteOffset, t.empty.byteLength),
    body + t.vectors.byteLength,
  );
  return out;
}

export function tableFromBytes(b: Uint8Array, where = 'distilled table'): DistilledTable {
  const bad = (why: string) =>
    new RecError(
      'ENCODER_UNAVAILABLE',
      `${where} is unreadable: ${why}; rebuild it with \`fusionrec distil\``,
    );
  if (b.byteLength < 4) throw bad('too short');
  const len = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
  let h: { format?: unknown; source?: unknown; dim?: unknown; tokens?: unknown };
  try {
    h = JSON.parse(new TextDecoder().decode(b.subarray(4, 4 + len)));
  } catch {
    throw bad('its header is not JSON');
  }
  if (h.format !== FORMAT) throw bad(`format ${String(h.format)}, expected ${FORMAT}`);
  if (typeof h.source !== 'string' || !Number.isInteger(h.dim) || !Array.isArray(h.tokens))
    throw bad('header fields');
  const dim = h.dim as number;
  const tokens = h.tokens as string[];
  const floats = (tokens.length + 1) * dim;
  if (b.byteLength - 4 - len !== floats * 4) throw bad(`expected ${floats} numbers`);
  const body = new Float32Array(b.slice(4 + len).buffer);
  return {
    source: h.source,
    dim,
    tokens,
    vectors: body.subarray(0, tokens.length * dim),
    empty: body.subarray(tokens.length * dim),
  };
}

/**
 * One table per source provider (`encoder.distil.from`): a rebuild from another model of the same
 * provider replaces it, and the header keeps the exact source id.
 */
const tableKey = (from: string) => `table:${from}`;

export async function saveTable(blobs: BlobStore, from: string, t: DistilledTable): Promise<void> {
  await blobs.put(DISTIL_NAMESPACE, [{ key: tableKey(from), value: tableBytes(t) }]);
}

export async function loadTable(blobs: BlobStore, from: string): Promise<DistilledTable> {
  const b = await blobs.get(DISTIL_NAMESPACE, tableKey(from));
  if (!b)
    throw new RecError(
      'ENCODER_UNAVAILABLE',
      `no distilled encoder table from "${from}" in the store; build one with \`fusionrec distil\``,
    );
  return tableFromBytes(b, `distilled table ${tableKey(from)}`);
}

/** An Encoder over a table: the normalised sum of the text's known words' (weighted) vectors. */
export function createDistilledEncoder(t: DistilledTable): Encoder {
  const index = new Map(t.tokens.map((w, i) => [w, i]));
  const d = t.dim;
  const id = tableId(t);
  return {
    id,
    dim: d,
    coverage(text: string): number {
      // share of letters and digits in words the table holds
      let all = 0;
      let known = 0;
      for (const w of words(text)) {
        all += w.word.length;
        if (index.has(w.word)) known += w.word.length;
      }
      return all === 0 ? 1 : known / all;
    },
    async encode(texts: readonly string[]): Promise<Float32Array[]> {
      return texts.map((text) => {
        const v = new Float32Array(d);
        let hits = 0;
        for (const w of words(text)) {
          const i = index.get(w.word);
          if (i === undefined) continue;
          hits++;
          const o = i * d;
          for (let j = 0; j < d; j++) v[j]! += t.vectors[o + j]!;
        }
        if (hits === 0) return t.empty.slice();
        l2normalise(v);
        return v.some((x) => x !== 0) ? v : t.empty.slice();
      });
    },
    close: async () => {},
  };
}
