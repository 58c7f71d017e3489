import { stat } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Reads several files in turn, reporting bytes cumulatively across them. */
export function lineSource(ctx: ReaderContext) {
  const seen = new Map<string, number>();
  // returns readLines itself rather than wrapping it: another async generator layer would cost
  // an extra promise per line
  return (path: string, opts: ReadLinesOptions = {}): AsyncGenerator<Line> =>
    readLines(path, {
      ...opts,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.maxLineBytes ? { maxLineBytes: ctx.maxLineBytes } : {}),
      onBytes: (b) => {
        seen.set(path, b);
        let total = 0;
        for (const n of seen.values()) total += n;
        ctx.onBytes(total);
      },
    });
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
