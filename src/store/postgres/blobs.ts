import type pg from 'pg';
import type { BlobStore } from '../derived/types.ts';
import { copyRows } from './copy-out.ts';
import { inTransaction, lastByKey } from './sql.ts';

/** rows per multi-row upsert: 3 parameters each, well under PostgreSQL's 65,535 */
const PUT_CHUNK = 1000;

const utf8 = new TextDecoder();

/**
 * A single value (`get`) up to this size comes back with its size, as hex text (cheap at this
 * size), so reading a header, a stamp or a mark takes one statement rather than three (sizes,
 * bind, COPY). `getMany` inlines nothing: many small rows (a catalog's vectors) add up to the
 * megabytes that hex text makes costly.
 */
const INLINE_BYTES = 64 << 10;

/**
 * A value larger than this is read in parts of this size, up to PARALLEL statements at once: the
 * server reads each part of an out-of-line value on its own (a slice of its TOAST chunks) on a
 * connection of its own, and the client parses smaller messages.
 */
const PART_BYTES = 4 << 20;
const PARALLEL = 4;

/**
 * The values of the keys in `fusionrec.p2`. The key array is unnested once, in FROM: as `key =
 * ANY(current_setting(...)::text[])` it is a filter the server may evaluate, parse included, for
 * every row it scans, as it did over a namespace just written whose statistics were stale (36,000
 * vector rows: over 20 s, where the join takes 20 ms).
 */
const BY_KEYS = `SELECT k.key, b.value FROM unnest(current_setting('fusionrec.p2')::text[]) AS k(key)
  JOIN blobs b ON b.ns = current_setting('fusionrec.p1') AND b.key = k.key`;
/** one part of one value, of the row version the sizes were read from (a replaced value has another xmin) */
const PART = `SELECT substring(value from current_setting('fusionrec.p3')::int for current_setting('fusionrec.p4')::int)
  FROM blobs WHERE ns = current_setting('fusionrec.p1') AND key = current_setting('fusionrec.p2')
  AND xmin::text = current_setting('fusionrec.p5')`;

/** runs the tasks, at most `limit` at once */
async function inParallel(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Values are read through a binary COPY (copy-out.ts): a plain query would bring them as hex text. */
export class PgBlobs implements BlobStore {
  constructor(private readonly pool: pg.Pool) {}
  async get(ns: string, key: string): Promise<Uint8Array | undefined> {
    return (await this.read(ns, [key], INLINE_BYTES)).get(key);
  }
  getMany(ns: string, keys: readonly string[]): Promise<Map<string, Uint8Array>> {
    return this.read(ns, keys, -1);
  }
  /** the values of `keys`; one of at most `inlineBytes` comes with its size, the rest by COPY */
  private async read(
    ns: string,
    keys: readonly string[],
    inlineBytes: number,
  ): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    if (keys.length === 0) return out;
    const { rows: sizes } = await this.pool.query<{
      key: string;
      size: number;
      xmin: string;
      inline: Buffer | null;
    }>(
      `SELECT key, octet_length(value) AS size, xmin::text AS xmin,
        CASE WHEN octet_length(value) <= $3 THEN value END AS inline
        FROM blobs WHERE ns = $1 AND key = ANY($2::text[])`,
      [ns, keys, inlineBytes],
    );
    for (const { key, inline } of sizes)
      if (inline) out.set(key, new Uint8Array(inline.buffer, inline.byteOffset, inline.byteLength));
    const small = sizes.filter((r) => !r.inline && r.size <= PART_BYTES).map((r) => r.key);
    const tasks: (() => Promise<void>)[] = [];
    const whole = (ks: string[]) => async () => {
      for (const [key, value] of await copyRows(this.pool, BY_KEYS, [ns, ks]))
        out.set(utf8.decode(key!), value!);
    };
    if (small.length > 0) tasks.push(whole(small));
    const replaced: string[] = [];
    for (const { key, size, xmin } of sizes) {
      if (size <= PART_BYTES) continue;
      const value = new Uint8Array(size);
      out.set(key, value);
      for (let at = 0; at < size; at += PART_BYTES) {
        tasks.push(async () => {
          const got = await copyRows(this.pool, PART, [ns, key, String(at + 1), String(PART_BYTES), xmin]);
          const part = got[0]?.[0];
          if (part && part.length === Math.min(PART_BYTES, size - at)) value.set(part, at);
          else if (!replaced.includes(key)) replaced.push(key);
        });
      }
    }
    await inParallel(tasks, PARALLEL);
    // a value replaced (or deleted) while its parts were read: read again whole, in one statement
    for (const key of replaced) out.delete(key);
    if (replaced.length > 0) await whole(replaced)();
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
