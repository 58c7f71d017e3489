import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { RecError } from '../../core/errors.ts';
import { type Event, type Item, itemSchema } from '../../core/types.ts';
import { validate } from '../../core/validate.ts';
import { type Line, type ReadLinesOptions, readLines } from '../lines.ts';
import type { ImportRecord, ReaderContext } from '../types.ts';
import { checkEvent } from './check.ts';

/** Order-only datasets: event n of a user happens at 2000-01-01T00:00Z + n minutes. */
const SYNTHETIC_EPOCH = Date.UTC(2000, 0, 1);
const SYNTHETIC_STEP_MS = 60_000;
export const syntheticTs = (position: number): number => SYNTHETIC_EPOCH + position * SYNTHETIC_STEP_MS;

/** Checks that every file of a dataset is there before anything is read. */
export async function datasetFiles(dir: string, names: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of names) {
    const p = join(dir, n);
    try {
      if (!(await stat(p)).isFile()) throw new Error('not a file');
    } catch (cause) {
      throw new RecError('NOT_FOUND', `dataset file ${p} is missing`, { field: 'path', cause });
    }
    out.push(p);
  }
  return out;
}

/**
 * Reads several files in turn, reporting bytes cumulatively across them; a file read twice counts
 * twice (its reader lists it twice in `files`, which sizes the progress bar).
 */
export function lineSource(ctx: ReaderContext) {
  const seen = new Map<number, number>();
  let reads = 0;
  // returns readLines itself rather than wrapping it: another async generator layer would cost
  // an extra promise per line
  return (path: string, opts: ReadLinesOptions = {}): AsyncGenerator<Line> => {
    const read = reads++;
    return readLines(path, {
      ...opts,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.maxLineBytes ? { maxLineBytes: ctx.maxLineBytes } : {}),
      onBytes: (b) => {
        seen.set(read, b);
        let total = 0;
        for (const n of seen.values()) total += n;
        ctx.onBytes(total);
      },
    });
  };
}

/** Splits a delimited line, requiring at least `min` fields. */
export function fields(line: Line, sep: string, min: number): string[] {
  const f = line.text.split(sep);
  if (f.length < min)
    throw new RecError(
      'PARSE_ERROR',
      `expected ${min} ${JSON.stringify(sep)}-separated fields, got ${f.length}`,
      {
        location: line.location,
      },
    );
  return f;
}

/** Parses a non-negative integer id or count, naming the field when it is not one. */
export function int(s: string | undefined, field: string, location: string): number {
  if (s === undefined || !/^\d+$/.test(s))
    throw new RecError('INVALID_INPUT', `expected a non-negative integer, got ${JSON.stringify(s)}`, {
      field,
      location,
    });
  return Number(s);
}

export const eventRecord = (e: Event, location: string): ImportRecord => ({
  kind: 'event',
  value: checkEvent(e, location),
  location,
});

export const itemRecord = (it: Item, location: string): ImportRecord => ({
  kind: 'item',
  value: validate(itemSchema, it, { location }),
  location,
});

/** What `scanRows` found: lines that are not empty, and whether the last one ends with a newline. */
interface RowScan {
  rows: number;
  terminated: boolean;
}

/** Counts a file's non-empty lines without decoding them (a few MB/s of work per dataset). */
async function scanRows(path: string): Promise<RowScan> {
  let rows = 0;
  let prev = 0x0a;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
      const before = i > 0 ? chunk[i - 1]! : prev;
      if (before !== 0x0a) rows++;
    }
    prev = chunk[chunk.length - 1] ?? prev;
  }
  if (prev !== 0x0a) rows++;
  return { rows, terminated: prev === 0x0a };
}

/** The error of a file that ends mid-line, naming its last line. */
function cutShort(path: string, lines: number): RecError {
  return new RecError(
    'PARSE_ERROR',
    'the last line has no newline at its end, so the file looks cut short; if it is complete, end it with a newline',
    { location: `${basename(path)}:${lines}`, field: 'path' },
  );
}

/**
 * Scans each line-based file once: refuses one whose last line lacks its newline, and returns the
 * non-empty lines per file (header rows included) for the count checks.
 */
export async function requireWholeLines(files: readonly string[]): Promise<Map<string, number>> {
  const rows = new Map<string, number>();
  for (const f of files) {
    const s = await scanRows(f);
    if (!s.terminated) throw cutShort(f, s.rows);
    rows.set(basename(f), s.rows);
  }
  return rows;
}

/** A count the dataset declares against the rows found; `declaredBy` names where it is declared. */
export function requireCount(file: string, found: number, declared: number, declaredBy: string): void {
  if (found !== declared)
    throw new RecError(
      'INVALID_INPUT',
      `${declaredBy} declares ${declared.toLocaleString('en-US')} rows, the file holds ${found.toLocaleString('en-US')}: it is incomplete or not this dataset's`,
      { location: file },
    );
}

/** The text of an optional file of the dataset folder (a count file, a readme), or undefined. */
export async function optionalText(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch {
    return undefined;
  }
}
