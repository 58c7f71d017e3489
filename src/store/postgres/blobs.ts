import type pg from 'pg';
import type { BlobStore } from '../derived/types.ts';
import { copyRows } from './copy-out.ts';
import { inTransaction, lastByKey } from './sql.ts';

/** rows per multi-row upsert: 3 parameters each, well under PostgreSQL's 65,535 */
const PUT_CHUNK = 1000;

const utf8 = new TextDecoder();

/** Values are read through a binary COPY (copy-out.ts): a plain query would bring them as hex text. */
export class PgBlobs implements BlobStore {
  constructor(private readonly pool: pg.Pool) {}
  async get(ns: string, key: string): Promise<Uint8Array | undefined> {
    const rows = await copyRows(
      this.pool,
      "SELECT value FROM blobs WHERE ns = current_setting('fusionrec.p1') AND key = current_setting('fusionrec.p2')",
      [ns, key],
    );
    return rows[0]?.[0] ?? undefined;
  }
  async getMany(ns: string, keys: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    if (keys.length === 0) return out;
    const rows = await copyRows(
      this.pool,
      "SELECT key, value FROM blobs WHERE ns = current_setting('fusionrec.p1') AND key = ANY(current_setting('fusionrec.p2')::text[])",
      [ns, keys],
    );
    for (const [key, value] of rows) out.set(utf8.decode(key!), value!);
    return out;
  }
  /**
   * Multi-row VALUES with each value its own parameter: pg sends a Buffer parameter as binary,
   * where an array of bytea would travel hex-encoded at twice the size (models run to megabytes).
   */
  async put(ns: string, entries: readonly { key: string; value: Uint8Array }[]): Promise<void> {
    const rows = lastByKey(entries, (e) => e.key);
    if (rows.length === 0) return;
    await inTransaction(this.pool, async (c) => {
      for (let i = 0; i < rows.length; i += PUT_CHUNK) {
        const chunk = rows.slice(i, i + PUT_CHUNK);
        const values: unknown[] = [ns];
        const tuples = chunk.map((e) => {
          values.push(e.key, Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength));
          return `($1, $${values.length - 1}, $${values.length})`;
        });
        await c.query(
          `INSERT INTO blobs (ns, key, value) VALUES ${tuples.join(',')}
           ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value`,
          values,
        );
      }
    });
  }
  async delete(ns: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.pool.query('DELETE FROM blobs WHERE ns = $1 AND key = ANY($2::text[])', [ns, keys]);
  }
  async keys(ns: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ key: string }>(
      'SELECT key FROM blobs WHERE ns = $1 ORDER BY key',
      [ns],
    );
    return rows.map((r) => r.key);
  }
  async count(ns: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM blobs WHERE ns = $1', [
      ns,
    ]);
    return rows[0]!.n;
  }
}
