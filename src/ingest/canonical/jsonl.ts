/**
 * Canonical JSONL: one record per line, `{"kind": "scenario"|"item"|"user"|"event", ...fields}`,
 * each validated by the domain schema of its kind. See docs/formats.md.
 */
import { stat } from 'node:fs/promises';
import { RecError } from '../../core/errors.ts';
import { readLines } from '../lines.ts';
import type { ImportRecord, Reader, ReaderContext } from '../types.ts';
import { toRecord } from './records.ts';

export async function inputFile(path: string): Promise<string[]> {
  try {
    if ((await stat(path)).isFile()) return [path];
  } catch (cause) {
    throw new RecError('NOT_FOUND', `cannot read ${path}`, { field: 'path', cause });
  }
  throw new RecError('INVALID_INPUT', `${path} is not a file`, { field: 'path' });
}

async function* read(path: string, ctx: ReaderContext): AsyncGenerator<ImportRecord> {
  for await (const line of readLines(path, {
    // a JSON record cut short does not parse, so a last line without its newline is whole
    unterminatedLastLine: 'accept',
    onBytes: ctx.onBytes,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.maxLineBytes ? { maxLineBytes: ctx.maxLineBytes } : {}),
  })) {
    if (line.text.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line.text);
    } catch (cause) {
      throw new RecError('PARSE_ERROR', `not valid JSON: ${(cause as Error).message}`, {
        location: line.location,
        cause,
      });
    }
    yield toRecord(obj, line.location);
  }
}

export const jsonlReader: Reader = { files: inputFile, read, validateFirst: true };
