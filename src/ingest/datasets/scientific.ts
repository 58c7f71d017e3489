/**
 * Amazon 2018 Industrial & Scientific as processed by UniSRec (RecBole atomic files). The files
 * hold leave-one-out prefixes, not sequences: each user's full sequence is rebuilt from the
 * train prefixes (one row per prefix, longest first, truncated to 50) plus the valid and test
 * targets, and checked against every prefix on the way.
 */
import { RecError } from '../../core/errors.ts';
import type { Item, Split } from '../../core/types.ts';
import type { Line } from '../lines.ts';
import { readLines } from '../lines.ts';
import type { ImportRecord, Reader, ReaderContext } from '../types.ts';
import {
  datasetFiles,
  eventRecord,
  fields,
  int,
  itemRecord,
  lineSource,
  requireCount,
  requireWholeLines,
  syntheticTs,
} from './common.ts';
import { ecommerce } from './scenarios.ts';

const FILES = [
  'Scientific.item2index',
  'Scientific.text',
  'Scientific.user2index',
  'Scientific.train.inter',
  'Scientific.valid.inter',
  'Scientific.test.inter',
];
const SCENARIO = 'scientific';
const CATEGORY_ROOT = 'Industrial & Scientific';
const MAX_CATEGORY_NAME = 200;

/**
 * UniSRec's clean text is `title. categories. brand. `. The category part starts with the
 * root category, which makes title and brand separable; otherwise the whole text is the title.
 */
export function splitScientificText(raw: string): Pick<Item, 'title' | 'category'> & { brand?: string } {
  const text = raw.trim().replace(/\.$/, '');
  const at = text.indexOf(`. ${CATEGORY_ROOT}`);
  if (at < 0) return { title: text };
  const title = text.slice(0, at);
  const rest = text.slice(at + 2);
  const cut = rest.lastIndexOf('. ');
  const categories = (cut < 0 ? rest : rest.slice(0, cut)).trim();
  const brand = cut < 0 ? '' : rest.slice(cut + 2).trim();
  const leaf = categories.slice(CATEGORY_ROOT.length).trim();
  // The sub-category names are joined by spaces and cannot be told apart; the joined string is
  // kept as one level when it fits a category name (the raw text stays in the description).
  return {
    title,
    category: leaf && leaf.length <= MAX_CATEGORY_NAME ? [CATEGORY_ROOT, leaf] : [CATEGORY_ROOT],
    ...(brand ? { brand } : {}),
  };
}

interface Row {
  line: Line;
  user: string;
  prefix: string[];
  target: string;
}

function parseRow(line: Line, items: ReadonlySet<string>): Row {
  const [user, list, target] = fields(line, '\t', 3);
  int(user, 'user_id', line.location);
  const prefix = list === '' ? [] : list!.split(' ');
  for (const [i, id] of [...prefix, target!].entries()) {
    if (!items.has(id))
      throw new RecError('INVALID_INPUT', `unknown item index ${JSON.stringify(id)}`, {
        field: i === prefix.length ? 'item_id' : `item_id_list[${i}]`,
        location: line.location,
      });
  }
  return { line, user: user!, prefix, target: target! };
}

function checkPrefix(seq: readonly string[], end: number, row: Row, field: string): void {
  const from = Math.max(0, end - row.prefix.length);
  const ok = end - from === row.prefix.length && row.prefix.every((id, k) => seq[from + k] === id);
  if (!ok)
    throw new RecError('INVALID_INPUT', 'prefix does not match the sequence rebuilt from earlier rows', {
      field,
      location: row.line.location,
    });
}

async function* read(dir: string, ctx: ReaderContext): AsyncGenerator<ImportRecord> {
  const [itemIndexPath, textPath, userIndexPath, trainPath, validPath, testPath] = await datasetFiles(
    dir,
    FILES,
  );
  const lines = lineSource(ctx);
  yield { kind: 'scenario', value: ecommerce(SCENARIO, 'Amazon Industrial & Scientific') };

  // Items: the integer index is the id, the ASIN an attribute.
  const asinOf = new Map<string, string>();
  for await (const line of lines(itemIndexPath!)) {
    if (line.text === '') continue;
    const [asin, idx] = fields(line, '\t', 2);
    int(idx, 'index', line.location);
    asinOf.set(idx!, asin!);
  }
  const textOf = new Map<string, { text: string; location: string }>();
  for await (const line of lines(textPath!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const [asin, ...text] = fields(line, '\t', 2);
    textOf.set(asin!, { text: text.join('\t'), location: line.location });
  }
  for (const [id, asin] of asinOf) {
    const t = textOf.get(asin);
    if (!t) ctx.note('itemsWithoutText');
    const parts = t ? splitScientificText(t.text) : { title: '' };
    yield itemRecord(
      {
        id,
        scenario: SCENARIO,
        title: parts.title,
        ...(t ? { description: t.text.trim() } : {}),
        ...(parts.category ? { category: parts.category } : {}),
        attributes: { asin, ...(parts.brand ? { brand: parts.brand } : {}) },
        available: true,
      },
      t?.location ?? `Scientific.item2index (item ${id})`,
    );
  }
  textOf.clear();
  const items = new Set(asinOf.keys());

  // Users: the integer index is the id; the Amazon reviewer id is kept unless pseudonymising.
  for await (const line of lines(userIndexPath!)) {
    if (line.text === '') continue;
    const [reviewer, idx] = fields(line, '\t', 2);
    int(idx, 'index', line.location);
    yield {
      kind: 'user',
      value: ctx.pseudonymising ? { id: idx! } : { id: idx!, attributes: { reviewerId: reviewer! } },
      location: line.location,
    };
  }

  // valid/test: one row per user, the second-to-last and last item.
  const heldOut = async (path: string) => {
    const rows = new Map<string, Row>();
    for await (const line of lines(path)) {
      if (line.lineNo === 1 || line.text === '') continue;
      const row = parseRow(line, items);
      if (rows.has(row.user))
        throw new RecError('INVALID_INPUT', `user ${row.user} has two rows`, {
          field: 'user_id',
          location: line.location,
        });
      rows.set(row.user, row);
    }
    return rows;
  };
  const valid = await heldOut(validPath!);
  const test = await heldOut(testPath!);

  function* sequence(user: string, train: Row[]): Generator<ImportRecord> {
    const v = valid.get(user);
    const t = test.get(user);
    if (!v || !t) {
      const line = (train[0] ?? v ?? t)!.line;
      throw new RecError('INVALID_INPUT', `user ${user} lacks a ${v ? 'test' : 'valid'} row`, {
        field: 'user_id',
        location: line.location,
      });
    }
    // Train rows come longest prefix first: the oldest row's prefix starts the sequence.
    const rows = [...train].reverse();
    const first = rows[0] ?? v;
    const seq: string[] = [...first.prefix];
    const ids: string[] = first.prefix.map(
      (_, k) => `sci:${rows[0] ? 'train' : 'valid'}:${first.line.lineNo}:${k}`,
    );
    const locs: string[] = first.prefix.map(() => first.line.location);
    const push = (row: Row, file: string, field: string) => {
      checkPrefix(seq, seq.length, row, field);
      seq.push(row.target);
      ids.push(`sci:${file}:${row.line.lineNo}:t`);
      locs.push(row.line.location);
    };
    for (const r of rows) push(r, 'train', 'item_id_list');
    push(v, 'valid', 'item_id_list');
    push(t, 'test', 'item_id_list');
    const n = seq.length;
    for (let pos = 0; pos < n; pos++) {
      const split: Split = pos === n - 1 ? 'test' : pos === n - 2 ? 'valid' : 'train';
      yield eventRecord(
        {
          id: ids[pos]!,
          user,
          item: seq[pos]!,
          scenario: SCENARIO,
          type: 'purchase',
          ts: syntheticTs(pos),
          split,
        },
        locs[pos]!,
      );
    }
  }

  const done = new Set<string>();
  let current: Row[] = [];
  for await (const line of lines(trainPath!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const row = parseRow(line, items);
    if (current.length > 0 && current[0]!.user !== row.user) {
      const user = current[0]!.user;
      if (done.has(user))
        throw new RecError('INVALID_INPUT', `rows of user ${user} are not contiguous`, {
          field: 'user_id',
          location: line.location,
        });
      yield* sequence(user, current);
      done.add(user);
      current = [];
    }
    current.push(row);
  }
  if (current.length > 0) {
    yield* sequence(current[0]!.user, current);
    done.add(current[0]!.user);
  }
  // Users with fewer than three items have no train row.
  for (const user of valid.keys()) if (!done.has(user)) yield* sequence(user, []);
  for (const user of test.keys())
    if (!valid.has(user))
      throw new RecError('INVALID_INPUT', `user ${user} has a test row but no valid row`, {
        field: 'user_id',
        location: test.get(user)!.line.location,
      });
}

/**
 * The index files declare the dataset: every indexed user has one valid and one test row, every
 * indexed item one text row. The train file declares no count, but each user's rows run from the
 * longest prefix down to a one-item prefix, so a user whose last row has a longer prefix lost rows.
 */
async function check(_dir: string, files: readonly string[]): Promise<void> {
  const rows = await requireWholeLines(files);
  const [items, text, users, train, valid, test] = FILES.map((f) => rows.get(f)!);
  requireCount('Scientific.valid.inter', valid! - 1, users!, 'Scientific.user2index');
  requireCount('Scientific.test.inter', test! - 1, users!, 'Scientific.user2index');
  requireCount('Scientific.text', text! - 1, items!, 'Scientific.item2index');
  if (train === undefined) return;
  let last: { user: string; prefix: number; location: string } | undefined;
  const endOfUser = () => {
    if (last && last.prefix !== 1)
      throw new RecError(
        'INVALID_INPUT',
        `the last row of user ${last.user} has a ${last.prefix}-item prefix, not 1: rows of this user are missing`,
        { field: 'item_id_list', location: last.location },
      );
  };
  for await (const line of readLines(files[FILES.indexOf('Scientific.train.inter')]!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const [user, list] = fields(line, '\t', 3);
    if (last && last.user !== user) endOfUser();
    last = { user: user!, prefix: list === '' ? 0 : list!.split(' ').length, location: line.location };
  }
  endOfUser();
}

export const scientific: Reader = {
  files: (dir) => datasetFiles(dir, FILES),
  check,
  read,
  validateFirst: false,
  scenarios: [SCENARIO],
};
