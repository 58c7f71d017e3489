/**
 * Embedding cache: text vectors keyed by (encoder id, sha256 of the text), stored as Float32 bytes
 * in blob namespace `emb:<encoderId>`. It lives in the data store by default, or in a separate
 * SQLite file (`encoder.cachePath`) shared by many databases, so that evaluation runs importing
 * each dataset into a fresh database never re-encode a text seen before.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteStore } from '../store/sqlite.ts';
import type { BlobStore, Store } from '../store/types.ts';

export interface EmbeddingCache {
  /** vectors found, by text hash */
  get(encoderId: string, hashes: readonly string[]): Promise<Map<string, Float32Array>>;
  put(encoderId: string, entries: readonly { hash: string; vector: Float32Array }[]): Promise<void>;
  count(encoderId: string): Promise<number>;
  close(): Promise<void>;
}

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Float32 bytes of a vector (copied: the caller may reuse its array). */
export function vectorBytes(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

/** A vector back from its bytes; copies when the bytes are not 4-byte aligned. */
function bytesVector(b: Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  return new Float32Array(b.slice().buffer);
}

const embeddingNamespace = (encoderId: string) => `emb:${encoderId}`;

class BlobEmbeddingCache implements EmbeddingCache {
  constructor(
    private readonly blobs: BlobStore,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}
  async get(encoderId: string, hashes: readonly string[]): Promise<Map<string, Float32Array>> {
    const raw = await this.blobs.getMany(embeddingNamespace(encoderId), hashes);
    const out = new Map<string, Float32Array>();
    for (const [k, b] of raw) out.set(k, bytesVector(b));
    return out;
  }
  async put(encoderId: string, entries: readonly { hash: string; vector: Float32Array }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.blobs.put(
      embeddingNamespace(encoderId),
      entries.map((e) => ({ key: e.hash, value: vectorBytes(e.vector) })),
    );
  }
  count(encoderId: string): Promise<number> {
    return this.blobs.count(embeddingNamespace(encoderId));
  }
  close(): Promise<void> {
    return this.onClose();
  }
}

/** The cache inside a store's blobs; closing it leaves the store open. */
export function storeEmbeddingCache(store: Pick<Store, 'blobs'>): EmbeddingCache {
  return new BlobEmbeddingCache(store.blobs);
}

/**
 * `cachePath` empty: the cache lives in `store`. Otherwise a SQLite file at that path (its folder
 * is created), which this cache opens and closes.
 */
export function openEmbeddingCache(store: Pick<Store, 'blobs'>, cachePath: string): EmbeddingCache {
  if (!cachePath) return storeEmbeddingCache(store);
  mkdirSync(dirname(cachePath), { recursive: true });
  const file = new SqliteStore(cachePath);
  return new BlobEmbeddingCache(file.blobs, () => file.close());
}
