/**
 * Amazon 2014 Beauty as used by S3-Rec: `user item item ...` sequences (ids only) and item
 * attribute ids, which become tags `attr:<id>`.
 */
import { RecError } from '../../core/errors.ts';
import type { Split } from '../../core/types.ts';
import type { ImportRecord, Reader, ReaderContext } from '../types.ts';
import {
  datasetFiles,
  eventRecord,
  int,
  itemRecord,
  lineSource,
  requireWholeLines,
  syntheticTs,
} from './common.ts';
import { ecommerce } from './scenarios.ts';

const FILES = ['Beauty.txt', 'Beauty_item2attributes.json'];
const SCENARIO = 'beauty';

/** item id -> attribute ids; the file is one JSON object (300 KB), parsed whole. */
async function readAttributes(
  path: string,
  lines: ReturnType<typeof lineSource>,
): Promise<Map<string, number[]>> {
  let text = '';
  for await (const line of lines(path, { unterminatedLastLine: 'accept' })) text += `${line.text}\n`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new RecError('PARSE_ERROR', `not valid JSON: ${(cause as Error).message}`, {
      location: `${FILES[1]}:1`,
      cause,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new RecError('INVALID_INPUT', 'expected an object of item id -> attribute ids', {
      field: '(root)',
      location: `${FILES[1]}:1`,
    });
  const out = new Map<string, number[]>();
  for (const [item, attrs] of Object.entries(parsed)) {
    if (!Array.isArray(attrs) || !attrs.every((a) => Number.isInteger(a) && a >= 0))
      throw new RecError('INVALID_INPUT', 'attribute ids must be a list of non-negative integers', {
        field: item,
        location: `${FILES[1]}:1`,
      });
    out.set(item, attrs);
  }
  return out;
}

async function* read(dir: string, ctx: ReaderContext): AsyncGenerator<ImportRecord> {
  const [seqPath, attrPath] = await datasetFiles(dir, FILES);
  const lines = lineSource(ctx);
  yield { kind: 'scenario', value: ecommerce(SCENARIO, 'Amazon Beauty') };
  const attributes = await readAttributes(attrPath!, lines);
  const seen = new Set<string>();

  for await (const line of lines(seqPath!)) {
    if (line.text === '') continue;
    const [user, ...ids] = line.text.trim().split(/\s+/);
    int(user, 'user', line.location);
    if (ids.length === 0)
      throw new RecError('INVALID_INPUT', 'a user without items', {
        field: 'items',
        location: line.location,
      });
    const n = ids.length;
    for (let pos = 0; pos < n; pos++) {
      const item = ids[pos]!;
      int(item, `items[${pos}]`, line.location);
      if (!seen.has(item)) {
        seen.add(item);
        const attrs = attributes.get(item);
        if (!attrs) ctx.note('itemsWithoutAttributes');
        yield itemRecord(
          {
            id: item,
            scenario: SCENARIO,
            title: '',
            ...(attrs?.length ? { tags: attrs.map((a) => `attr:${a}`) } : {}),
            available: true,
          },
          line.location,
        );
      }
      const split: Split = pos === n - 1 ? 'test' : pos === n - 2 ? 'valid' : 'train';
      yield eventRecord(
        {
          id: `beauty:${line.lineNo}:${pos}`,
          user: user!,
          item,
          scenario: SCENARIO,
          type: 'purchase',
          ts: syntheticTs(pos),
          split,
        },
        line.location,
      );
    }
  }
  // Items with attributes but no interaction are still part of the catalogue.
  for (const [item, attrs] of attributes) {
    if (seen.has(item)) continue;
    ctx.note('itemsWithoutEvents');
    yield itemRecord(
      {
        id: item,
        scenario: SCENARIO,
        title: '',
        ...(attrs.length ? { tags: attrs.map((a) => `attr:${a}`) } : {}),
        available: true,
      },
      `${FILES[1]}:1`,
    );
  }
}

export const beauty: Reader = {
  files: (dir) => datasetFiles(dir, FILES),
  // S3-Rec's files declare no counts; Beauty.txt must still end with a newline (the attributes
  // file is one JSON document, which a cut would make unparseable)
  check: async (_dir, files) => void (await requireWholeLines(files.slice(0, 1))),
  read,
  validateFirst: false,
  scenarios: [SCENARIO],
};
