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

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * What pg calls on the active query while a COPY TO runs (pg's `Submittable`). The binary format:
 * the 11-byte signature, flags and header-extension length (int32 each) and the extension, then
 * per row an int16 field count and per field an int32 length (-1: NULL) and its bytes; a count of
 * -1 ends it. The server sends each row in one copy-data message (the header with the first), so
 * each message is parsed as it comes, its fields copied out: the message is a view into pg's
 * read buffer, which the next one may overwrite.
 */
class CopyOut {
  readonly rows: (Uint8Array | null)[][] = [];
  private header = false;
  private ended = false;
  private settled = false;
  readonly done: Promise<(Uint8Array | null)[][]>;
  private resolve!: (rows: (Uint8Array | null)[][]) => void;
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
    try {
      this.parse(msg.chunk);
    } catch (e) {
      this.handleError(e as Error);
    }
  }
  private parse(b: Buffer): void {
    let at = 0;
    if (!this.header) {
      if (b.length < 19 || !b.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      at = 19 + b.readInt32BE(15);
      this.header = true;
    }
    if (at >= b.length) return;
    const fields = b.readInt16BE(at);
    at += 2;
    if (fields === -1) {
      this.ended = true;
      return;
    }
    const row: (Uint8Array | null)[] = [];
    for (let f = 0; f < fields; f++) {
      const len = b.readInt32BE(at);
      at += 4;
      if (len === -1) {
        row.push(null);
        continue;
      }
      if (at + len > b.length) throw new Error('binary COPY row split across messages');
      const out = new Uint8Array(len);
      out.set(b.subarray(at, at + len));
      row.push(out);
      at += len;
    }
    this.rows.push(row);
  }
  handleCommandComplete(): void {}
  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.ended) this.resolve(this.rows);
    else this.reject(new Error('binary COPY stream ended without its trailer'));
  }
  handleError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
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
    return await copy.done;
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    c.release(broken);
  }
}
