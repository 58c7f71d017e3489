/**
 * Canonical CSV: a header row, then one record per row (RFC 4180 quoting; a quoted field may not
 * span lines). A header with a `user` column makes an events file, otherwise an items file.
 * Columns are documented in docs/formats.md. Empty cells are absent values.
 */
import { RecError } from '../../core/errors.ts';
import { type Line, readLines } from '../lines.ts';
import type { ImportRecord, Reader, ReaderContext } from '../types.ts';
import { inputFile } from './jsonl.ts';
import { toRecord } from './records.ts';

export const EVENT_COLUMNS = [
  'id',
  'user',
  'item',
  'scenario',
  'type',
  'value',
  'text',
  'ts',
  'split',
] as const;
export const ITEM_COLUMNS = [
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

/** Splits one CSV line into cells. */
export function parseCsvLine(line: Line): string[] {
  const s = line.text;
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (s[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0)
          throw new RecError('PARSE_ERROR', 'unterminated quoted field (quoted fields may not span lines)', {
            location: line.location,
          });
        cell += s.slice(i, q);
        if (s[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < s.length && s[i] !== ',')
        throw new RecError('PARSE_ERROR', `unexpected character after a quoted field at column ${i + 1}`, {
          location: line.location,
        });
      cells.push(cell);
    } else {
      const c = s.indexOf(',', i);
      cells.push(c < 0 ? s.slice(i) : s.slice(i, c));
      i = c < 0 ? s.length : c;
    }
    if (i >= s.length) return cells;
    i++; // the comma
    if (i === s.length) {
      cells.push('');
      return cells;
    }
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

function header(line: Line): { kind: Kind; columns: string[] } {
  const columns = parseCsvLine(line).map((c) => c.trim());
  const kind: Kind = columns.includes('user') ? 'event' : 'item';
  const known: readonly string[] = kind === 'event' ? EVENT_COLUMNS : ITEM_COLUMNS;
  const seen = new Set<string>();
  for (const c of columns) {
    if (!known.includes(c) && !(c.startsWith(PREFIX[kind]) && c.length > PREFIX[kind].length))
      throw new RecError(
        'INVALID_INPUT',
        `unknown ${kind}s CSV column ${JSON.stringify(c)}; known: ${known.join(', ')}, ${PREFIX[kind]}<key>`,
        { field: c || '(empty column name)', location: line.location },
      );
    if (seen.has(c))
      throw new RecError('INVALID_INPUT', `column ${JSON.stringify(c)} appears twice`, {
        field: c,
        location: line.location,
      });
    seen.add(c);
  }
  for (const r of REQUIRED[kind])
    if (!seen.has(r))
      throw new RecError('INVALID_INPUT', `the ${kind}s CSV header lacks the required column "${r}"`, {
        field: r,
        location: line.location,
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
  for await (const line of readLines(path, {
    onBytes: ctx.onBytes,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.maxLineBytes ? { maxLineBytes: ctx.maxLineBytes } : {}),
  })) {
    if (line.text.trim() === '') continue;
    if (!head) {
      head = header(line);
      continue;
    }
    const cells = parseCsvLine(line);
    if (cells.length !== head.columns.length)
      throw new RecError('PARSE_ERROR', `expected ${head.columns.length} cells, got ${cells.length}`, {
        location: line.location,
      });
    yield toRecord(rowObject(head.kind, head.columns, cells, line.location), line.location);
  }
}

export const csvReader: Reader = { files: inputFile, read, validateFirst: true };
