/**
 * Reading `bytea` values as raw bytes. A plain query returns bytea as hex text, which pg turns
 * into a string of twice the value's size and then decodes: for the boot snapshot and the model
 * blobs (tens of MB) that was most of the distributed boot's extra CPU. Binary results of the
 * extended protocol are no way out, since pg decodes every data-row field as UTF-8 whatever its
 * format, so bytes that are not UTF-8 come back replaced. `COPY ... TO STDOUT (FORMAT binary)`
 * arrives as copy-data messages, which pg hands over as bytes; this reads them.
 *
 * COPY takes no bound parameters, so the values a query needs are bound first, on the same
 * connection, into session settings (`set_config`), which the COPY's query reads with
 * `current_setting`: no value is ever spliced into SQL text.
 */
import type pg from 'pg';

/** what pg calls on the active query while a COPY TO runs (pg's `Submittable`) */
class CopyOut {
  private readonly chunks: Buffer[] = [];
  private settled = false;
  readonly done: Promise<Buffer>;
  private resolve!: (b: Buffer) => void;
  private reject!: (e: Error) => void;

  constructor(private readonly text: string) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }
  handleCopyData(msg: { chunk: Buffer }): void {
    // the chunk is a view into pg's read buffer, which the next message may overwrite
    this.chunks.push(Buffer.from(msg.chunk));
  }
  handleCommandComplete(): void {}
  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(Buffer.concat(this.chunks));
  }
  handleError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * The fields of each row of a binary COPY stream, as views into it (null for SQL NULL). Format:
 * the 11-byte signature, flags and header-extension length (int32 each) and the extension, then
 * per row an int16 field count and per field an int32 length (-1: NULL) and its bytes; a count
 * of -1 ends the stream.
 */
export function parseBinaryCopy(b: Buffer): (Uint8Array | null)[][] {
  if (b.length < 19 || !b.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
  let at = 15;
  at += 4 + b.readInt32BE(at);
  const rows: (Uint8Array | null)[][] = [];
  for (;;) {
    const fields = b.readInt16BE(at);
    at += 2;
    if (fields === -1) return rows;
    const row: (Uint8Array | null)[] = [];
    for (let f = 0; f < fields; f++) {
      const len = b.readInt32BE(at);
      at += 4;
      if (len === -1) {
        row.push(null);
        continue;
      }
      if (at + len > b.length) throw new Error('binary COPY stream cut short');
      row.push(new Uint8Array(b.buffer, b.byteOffset + at, len));
      at += len;
    }
    rows.push(row);
  }
}

/**
 * The rows of `query` (a SELECT reading its inputs as `current_setting('fusionrec.p1')`,
 * `'fusionrec.p2'`, ...) with `params` bound to those settings (an array as its text form, for
 * `::text[]`), each field as raw bytes. Text fields come back as their UTF-8 bytes.
 */
export async function copyRows(
  pool: pg.Pool,
  query: string,
  params: readonly (string | readonly string[])[],
): Promise<(Uint8Array | null)[][]> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    if (params.length > 0) {
      // an array travels as its text form, which the query casts back (`::text[]`)
      const sets = params.map(
        (v, i) =>
          `set_config('fusionrec.p${i + 1}', $${i + 1}${typeof v === 'string' ? '' : '::text[]::text'}, false)`,
      );
      await c.query(`SELECT ${sets.join(', ')}`, [...params]);
    }
    const copy = new CopyOut(`COPY (${query}) TO STDOUT (FORMAT binary)`);
    // pg's types do not describe custom query objects
    c.query(copy as unknown as pg.QueryConfig);
    return parseBinaryCopy(await copy.done);
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    c.release(broken);
  }
}
