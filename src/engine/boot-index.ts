/**
 * The per-scenario vector indices in the boot snapshot's namespace: building an HNSW index over a
 * large scenario costs far more than reading it back, and the build is deterministic (one thread),
 * so a saved index is the one a boot would build. Saved after a boot that built them, read by the
 * next; stamped with what the build reads (encoder, the items' order, vectors and availability,
 * the index settings) and ignored when any differs. The indices travel through a temporary file:
 * the index's own format, written and read by its `save` and `load`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VectorIndex } from '../index/types.ts';
import { hashOf } from '../model/file.ts';
import type { Store } from '../store/types.ts';
import { BOOT_NAMESPACE } from './boot.ts';

const META = 'index/meta';
const keyOfCode = (code: number) => `index/${code}`;

/** what an index build reads, as one hash (the vectors hashed as raw bytes) */
export function indexStamp(x: {
  encoder: string;
  itemIds: readonly string[];
  vectors: Float32Array;
  available: Uint8Array;
  settings: unknown;
}): string {
  const bytes = (a: Float32Array | Uint8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return createHash('sha256')
    .update(JSON.stringify({ encoder: x.encoder, items: hashOf(x.itemIds), settings: x.settings }))
    .update(bytes(x.vectors))
    .update(bytes(x.available))
    .digest('hex')
    .slice(0, 16);
}

function tmpFile(): string {
  return join(tmpdir(), `fusionrec-index-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** the saved indices, each made by `make(code)` and loaded; undefined when none match `stamp` */
export async function loadIndices(
  store: Store,
  stamp: string,
  make: (code: number) => VectorIndex,
): Promise<Map<number, VectorIndex> | undefined> {
  const raw = await store.blobs.get(BOOT_NAMESPACE, META);
  if (!raw) return undefined;
  const meta = JSON.parse(new TextDecoder().decode(raw)) as { stamp: string; codes: number[] };
  if (meta.stamp !== stamp) return undefined;
  const got = await store.blobs.getMany(BOOT_NAMESPACE, meta.codes.map(keyOfCode));
  if (got.size !== meta.codes.length) return undefined;
  const out = new Map<number, VectorIndex>();
  for (const code of meta.codes) {
    const file = tmpFile();
    try {
      writeFileSync(file, got.get(keyOfCode(code))!);
      const index = make(code);
      index.load(file);
      out.set(code, index);
    } finally {
      rmSync(file, { force: true });
    }
  }
  return out;
}

export async function saveIndices(
  store: Store,
  stamp: string,
  indices: ReadonlyMap<number, VectorIndex>,
): Promise<void> {
  const entries: { key: string; value: Uint8Array }[] = [];
  for (const [code, index] of indices) {
    const file = tmpFile();
    try {
      index.save(file);
      entries.push({ key: keyOfCode(code), value: readFileSync(file) });
    } finally {
      rmSync(file, { force: true });
    }
  }
  const meta = { stamp, codes: [...indices.keys()] };
  // one put: the stamp and the indices it names are written together
  await store.blobs.put(BOOT_NAMESPACE, [
    ...entries,
    { key: META, value: new TextEncoder().encode(JSON.stringify(meta)) },
  ]);
}
