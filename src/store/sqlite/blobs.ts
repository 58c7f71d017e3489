import type { BlobStore } from '../derived/types.ts';
import type { DB } from './open.ts';
import { placeholders } from './sql.ts';

export class SqliteBlobs implements BlobStore {
  constructor(private readonly db: DB) {}
  async get(ns: string, key: string): Promise<Uint8Array | undefined> {
    const v = this.db.prepare('SELECT value FROM blobs WHERE ns = ? AND key = ?').pluck().get(ns, key) as
      | Buffer
      | undefined;
    return v === undefined ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  async getMany(ns: string, keys: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT key, value FROM blobs WHERE ns = ? AND key IN (${placeholders(chunk.length)})`)
        .all(ns, ...chunk) as { key: string; value: Buffer }[];
      for (const r of rows)
        out.set(r.key, new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength));
    }
    return out;
  }
  async put(ns: string, entries: readonly { key: string; value: Uint8Array }[]): Promise<void> {
    const st = this.db.prepare(
      'INSERT INTO blobs (ns, key, value) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value',
    );
    this.db.transaction(() => {
      for (const e of entries)
        st.run(ns, e.key, Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength));
    })();
  }
  async delete(ns: string, keys: readonly string[]): Promise<void> {
    const st = this.db.prepare('DELETE FROM blobs WHERE ns = ? AND key = ?');
    this.db.transaction(() => {
      for (const k of keys) st.run(ns, k);
    })();
  }
  async keys(ns: string): Promise<string[]> {
    return this.db.prepare('SELECT key FROM blobs WHERE ns = ? ORDER BY key').pluck().all(ns) as string[];
  }
  async count(ns: string): Promise<number> {
    return this.db.prepare('SELECT COUNT(*) FROM blobs WHERE ns = ?').pluck().get(ns) as number;
  }
}
