/**
 * Canonical CSV: a header row, then one record per row (RFC 4180 quoting, parsed by csv-parse; a
 * quoted field may span lines). A header with a `user` column makes an events file, otherwise an items file.
 * Columns are documented in docs/formats.md. Empty cells are absent values.
 */
import { basename } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { CsvError, type CsvErrorCode, type InfoRecord, type Options, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { RecError } from '../../core/errors.ts';
import { DEFAULT_MAX_LINE_BYTES, type Line, readLines } from '../lines.ts';
import type { ImportRecord, Reader, ReaderContext } from '../types.ts';
import { inputFile } from './jsonl.ts';
import { toRecord } from './records.ts';

const EVENT_COLUMNS = ['id', 'user', 'item', 'scenario', 'type', 'value', 'text', 'ts', 'split'] as const;
const ITEM_COLUMNS = [
  'id',
  'scenario',
  'title',
  'description',
  'category',
  'tags',
  'createdAt',
  'available',
] as const;
const REQUIRED = { event: ['id', 'user', 'item', 'scenario', 'type', 'ts'], item: ['id', 'scenario'] };
/** free-form columns: `context.<key>` on events, `attr.<key>` on items */
const PREFIX = { event: 'context.', item: 'attr.' } as const;

const CSV_OPTIONS = {
  // only `\n` ends a record (readLines removed each line's `\r`); a lone `\r` stays text
  record_delimiter: '\n',
  // a row with too few or too many cells gets this reader's own error, naming its line
  relax_column_count: true,
  skip_empty_lines: true,
} as const satisfies Options;

const CSV_MESSAGES: Partial<Record<CsvErrorCode, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'unterminated quoted field',
  CSV_INVALID_CLOSING_QUOTE: 'unexpected character after a quoted field',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the field and double the quote: "a ""b""")',
};

/** csv-parse's error as the importers' RecError, at the line where the record starts. */
function csvError(e: CsvError, location: string): RecError {
  if (e.code === 'CSV_MAX_RECORD_SIZE')
    return new RecError('PAYLOAD_TOO_LARGE', 'record longer than the line limit', { location, cause: e });
  return new RecError('PARSE_ERROR', CSV_MESSAGES[e.code] ?? e.message, { location, cause: e });
}

/** Splits one CSV line into cells. */
export function parseCsvLine(line: Line): string[] {
  try {
    return (parseSync(line.text, CSV_OPTIONS) as string[][])[0] ?? [''];
  } catch (e) {
    throw e instanceof CsvError ? csvError(e, line.location) : e;
  }
}

const leadingNewlines = (raw: string | undefined) => /^\n*/.exec(raw ?? '')![0].length;

interface CsvRow {
  cells: string[];
  /** `file:line` of the line the record starts on */
  location: string;
}

/** Lines of text handed to the parser in chunks of about this many characters. */
const CHUNK_CHARS = 1 << 16;

/**
 * The file's records (quoted fields may span lines), each with the `file:line` it starts at. The
 * bytes go through readLines first, so invalid UTF-8, a too long line, the byte order mark and
 * CRLF are handled as for every other format; csv-parse then splits records and cells.
 */
async function* csvRecords(path: string, ctx: ReaderContext): AsyncGenerator<CsvRow> {
  const name = basename(path);
  const maxBytes = ctx.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const lines = readLines(path, {
    onBytes: ctx.onBytes,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    maxLineBytes: maxBytes,
  });
  async function* text(): AsyncGenerator<string> {
    let chunk = '';
    for await (const line of lines) {
      chunk += `${line.text}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  // csv-parse counts the line a record ends on; it starts after the previous record and the empty
  // lines the parser skipped in between (they lead the record's raw text). Counted as the parser
  // emits records, so an error further on in the same chunk still knows where its record began.
  let lastEnd = 0;
  // with `raw`, csv-parse hands on_record the record with its raw text; it returns the row
  const onRecord = ({ record }: { record: string[] }, info: InfoRecord): CsvRow | null => {
    const start = lastEnd + 1 + leadingNewlines(info.raw);
    lastEnd = info.lines;
    // a line of blanks is an empty line too
    if (record.length === 1 && record[0]!.trim() === '') return null;
    return { cells: record, location: `${name}:${start}` };
  };
  const parser = parse({
    ...CSV_OPTIONS,
    raw: true,
    // a record may span lines, so its length is bounded like a line's
    max_record_size: maxBytes,
    on_record: onRecord as unknown as Options['on_record'],
  });
  const records = pipeline(Readable.from(text()), parser, () => {});
  try {
    yield* records as AsyncIterable<CsvRow>;
  } catch (e) {
    if (ctx.signal?.aborted) return;
    throw e instanceof CsvError
      ? csvError(e, `${name}:${lastEnd + 1 + leadingNewlines(e.raw as string)}`)
      : e;
  }
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number cell; anything else (NaN, Infinity, words) becomes NaN for the schema to reject by field. */
const num = (cell: string): number => (NUMERIC.test(cell.trim()) ? Number(cell) : Number.NaN);
/** Epoch milliseconds, or ISO text that records.ts converts; other text fails the schema. */
const time = (cell: string): number | string => (/^[+-]?\d+$/.test(cell.trim()) ? Number(cell) : cell);

function bool(cell: string, column: string, location: string): boolean {
  const c = cell.trim().toLowerCase();
  if (c === 'true' || c === '1') return true;
  if (c === 'false' || c === '0') return false;
  throw new RecError('INVALID_INPUT', `expected true or false, got ${JSON.stringify(cell)}`, {
    field: column,
    location,
  });
}

type Kind = 'event' | 'item';

function header(cells: readonly string[], location: string): { kind: Kind; columns: string[] } {
  const columns = cells.map((c) => c.trim());
  const kind: Kind = columns.includes('user') ? 'event' : 'item';
  const known: readonly string[] = kind === 'event' ? EVENT_COLUMNS : ITEM_COLUMNS;
  const seen = new Set<string>();
  for (const c of columns) {
    if (!known.includes(c) && !(c.startsWith(PREFIX[kind]) && c.length > PREFIX[kind].length))
      throw new RecError(
        'INVALID_INPUT',
        `unknown ${kind}s CSV column ${JSON.stringify(c)}; known: ${known.join(', ')}, ${PREFIX[kind]}<key>`,
        { field: c || '(empty column name)', location },
      );
    if (seen.has(c))
      throw new RecError('INVALID_INPUT', `column ${JSON.stringify(c)} appears twice`, {
        field: c,
        location,
      });
    seen.add(c);
  }
  for (const r of REQUIRED[kind])
    if (!seen.has(r))
      throw new RecError('INVALID_INPUT', `the ${kind}s CSV header lacks the required column "${r}"`, {
        field: r,
        location,
      });
  return { kind, columns };
}

function rowObject(kind: Kind, columns: readonly string[], cells: readonly string[], location: string) {
  const o: Record<string, unknown> = { kind };
  const free: Record<string, unknown> = {};
  columns.forEach((col, i) => {
    const cell = cells[i]!;
    if (cell === '') return;
    if (col.startsWith(PREFIX[kind])) {
      free[col.slice(PREFIX[kind].length)] = cell;
      return;
    }
    switch (col) {
      case 'value':
        o[col] = num(cell);
        break;
      case 'ts':
      case 'createdAt':
        o[col] = time(cell);
        break;
      case 'available':
        o[col] = bool(cell, col, location);
        break;
      case 'category':
        o[col] = cell.split('>').map((c) => c.trim());
        break;
      case 'tags':
        o[col] = cell.split('|');
        break;
      default:
        o[col] = cell;
    }
  });
  if (Object.keys(free).length) o[kind === 'event' ? 'context' : 'attributes'] = free;
  return o;
}

async function* read(path: string, ctx: ReaderContext): AsyncGenerator<ImportRecord> {
  let head: { kind: Kind; columns: string[] } | undefined;
  for await (const { cells, location } of csvRecords(path, ctx)) {
    if (!head) {
      head = header(cells, location);
      continue;
    }
    if (cells.length !== head.columns.length)
      throw new RecError('PARSE_ERROR', `expected ${head.columns.length} cells, got ${cells.length}`, {
        location,
      });
    yield toRecord(rowObject(head.kind, head.columns, cells, location), location);
  }
}

export const csvReader: Reader = { files: inputFile, read, validateFirst: true };
