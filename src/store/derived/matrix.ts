/**
 * A namespace of equal-length Float32 rows (an encoder's item vectors, encode/catalog.ts) read as
 * one matrix instead of row by row: a boot over tens of thousands of items spends seconds on the
 * rows and milliseconds on one blob. The matrix is kept under `matrix` as a head (ids, dimension,
 * stamp) and chunks of at most 16 MB, all written in one put: no one value comes near the most a
 * store keeps in one value (1 GB for a PostgreSQL bytea, 10^9 bytes for a SQLite blob by default).
 *
 * Staleness: whoever writes rows puts a fresh stamp (`STAMP_KEY`, a key no id can be: ids never
 * start with a space) in the same put (`withStamp`), or restamps after deleting rows. A matrix
 * records the stamp read before its rows and is used only while that stamp is current, so a row
 * written meanwhile (committed with its new stamp) makes it stale. A namespace without a stamp
 * (rows written before stamps) gets one when its first matrix is saved.
 */
import { randomBytes } from 'node:crypto';
import { pack, unpack } from '../../core/packed.ts';
import type { BlobStore } from './types.ts';

const STAMP_KEY = ' stamp';
export const MATRIX_NAMESPACE = 'matrix';
const CHUNK_BYTES = 16 << 20;
const chunkKey = (ns: string, k: number) => `${ns} #${k}`;

export interface Matrix {
  ids: string[];
  dim: number;
  /** row-major, one row per id */
  data: Float32Array;
}

interface Head {
  format: 1;
  /** the rows' stamp when they were read */
  stamp: string;
  /** names this write's chunks: a chunk of another write is not mixed in */
  write: string;
  dim: number;
  chunks: number;
  ids: string[];
}

const token = () => randomBytes(12).toString('hex');
const enc = new TextEncoder();
const dec = new TextDecoder();

/** rows to put, with a fresh stamp for their namespace in the same put */
export function withStamp(
  entries: readonly { key: string; value: Uint8Array }[],
): { key: string; value: Uint8Array }[] {
  return [...entries, { key: STAMP_KEY, value: enc.encode(token()) }];
}

/** marks the namespace's rows changed (after a delete) */
export async function restamp(blobs: BlobStore, ns: string): Promise<void> {
  await blobs.put(ns, withStamp([]));
}

async function stampOf(blobs: BlobStore, ns: string): Promise<string | undefined> {
  const raw = await blobs.get(ns, STAMP_KEY);
  return raw && dec.decode(raw);
}

/** the namespace's row keys (its stamp left out) */
export async function rowKeys(blobs: BlobStore, ns: string): Promise<string[]> {
  return (await blobs.keys(ns)).filter((k) => k !== STAMP_KEY);
}

/** the rows of `ids` (default: all, by key) that exist, as a matrix; every row of one length */
export async function readRows(blobs: BlobStore, ns: string, ids?: readonly string[]): Promise<Matrix> {
  const wanted = ids ?? (await rowKeys(blobs, ns));
  const raw = await blobs.getMany(ns, wanted);
  const found = wanted.filter((id) => id !== STAMP_KEY && raw.has(id));
  const dim = found.length > 0 ? raw.get(found[0]!)!.byteLength / 4 : 0;
  const data = new Float32Array(found.length * dim);
  const bytes = new Uint8Array(data.buffer);
  found.forEach((id, r) => {
    const b = raw.get(id)!;
    if (b.byteLength !== dim * 4)
      throw new Error(`row ${id} of ${ns} has ${b.byteLength / 4} values, others ${dim}`);
    bytes.set(b, r * dim * 4);
  });
  return { ids: found, dim, data };
}

/** the saved matrix of the namespace while its rows are unchanged since, else undefined */
export async function loadMatrix(blobs: BlobStore, ns: string): Promise<Matrix | undefined> {
  const [stamp, rawHead] = await Promise.all([stampOf(blobs, ns), blobs.get(MATRIX_NAMESPACE, ns)]);
  if (stamp === undefined || !rawHead) return undefined;
  const head = JSON.parse(dec.decode(rawHead)) as Head;
  if (head.format !== 1 || head.stamp !== stamp) return undefined;
  const keys = Array.from({ length: head.chunks }, (_, k) => chunkKey(ns, k));
  const got = await blobs.getMany(MATRIX_NAMESPACE, keys);
  const size = head.ids.length * head.dim;
  if (keys.length === 1) {
    // one chunk: its section is the matrix, viewed in place
    const p = unpack<{ write: string; values: number }>(got.get(keys[0]!) ?? new Uint8Array(0));
    if (!p || p.header.write !== head.write || p.header.values !== size) return undefined;
    return { ids: head.ids, dim: head.dim, data: p.f32(size) };
  }
  const data = new Float32Array(size);
  let at = 0;
  for (const key of keys) {
    const raw = got.get(key);
    const p = raw && unpack<{ write: string; values: number }>(raw);
    if (!p || p.header.write !== head.write || at + p.header.values > data.length) return undefined;
    data.set(p.f32(p.header.values), at);
    at += p.header.values;
  }
  if (at !== data.length) return undefined;
  return { ids: head.ids, dim: head.dim, data };
}

/**
 * Reads every row of the namespace and saves them as its matrix, stamped with the stamp read
 * before them (one made first where there is none); returns the rows read.
 */
export async function saveMatrix(
  blobs: BlobStore,
  ns: string,
  opts: { chunkBytes?: number } = {},
): Promise<Matrix> {
  let stamp = await stampOf(blobs, ns);
  if (stamp === undefined) {
    await restamp(blobs, ns);
    stamp = (await stampOf(blobs, ns))!;
  }
  const m = await readRows(blobs, ns);
  const write = token();
  const rowValues = Math.max(1, m.dim);
  const perChunk = Math.max(1, Math.floor((opts.chunkBytes ?? CHUNK_BYTES) / 4 / rowValues)) * rowValues;
  const chunks: { key: string; value: Uint8Array }[] = [];
  for (let at = 0; at < m.data.length || chunks.length === 0; at += perChunk) {
    const values = m.data.subarray(at, at + perChunk);
    chunks.push({
      key: chunkKey(ns, chunks.length),
      value: pack({ write, values: values.length }, [values]),
    });
  }
  const head: Head = { format: 1, stamp, write, dim: m.dim, chunks: chunks.length, ids: m.ids };
  // one put: the head and the chunks it names are written together
  await blobs.put(MATRIX_NAMESPACE, [...chunks, { key: ns, value: enc.encode(JSON.stringify(head)) }]);
  const extra = (await blobs.keys(MATRIX_NAMESPACE)).filter((k) => {
    const rest = k.startsWith(`${ns} #`) ? k.slice(ns.length + 2) : undefined;
    return rest !== undefined && /^\d+$/.test(rest) && Number(rest) >= chunks.length;
  });
  if (extra.length > 0) await blobs.delete(MATRIX_NAMESPACE, extra);
  return m;
}

/** drops every saved matrix (they name ids: an erasure drops them with the boot snapshot) */
export async function dropMatrices(blobs: BlobStore): Promise<void> {
  await blobs.delete(MATRIX_NAMESPACE, await blobs.keys(MATRIX_NAMESPACE));
}
