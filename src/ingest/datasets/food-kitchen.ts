/**
 * Amazon Food-Kitchen (LLMCDSR): two scenarios, `food` and `kitchen`, with the same users in both.
 * Sequences are chronological without time; see docs/formats.md for ids, splits and timestamps.
 */
import { RecError } from '../../core/errors.ts';
import type { Split } from '../../core/types.ts';
import type { ImportRecord, Reader, ReaderContext } from '../types.ts';
import {
  datasetFiles,
  eventRecord,
  fields,
  int,
  itemRecord,
  lineSource,
  optionalText,
  requireCount,
  requireWholeLines,
  syntheticTs,
} from './common.ts';
import { ecommerce } from './scenarios.ts';

/** file -> user id prefix, event id tag, and how its sequences split */
const SEQUENCE_FILES = [
  { file: 'train_A.txt', users: 'food', tag: 'A', heldOut: undefined },
  { file: 'train_B.txt', users: 'kitchen', tag: 'B', heldOut: undefined },
  { file: 'train_overlap.txt', users: 'both', tag: 'O', heldOut: undefined },
  { file: 'valid.txt', users: 'valid', tag: 'V', heldOut: 'valid' },
  { file: 'test.txt', users: 'test', tag: 'T', heldOut: 'test' },
] as const;

const FILES = ['items.tsv', ...SEQUENCE_FILES.map((f) => f.file)];

async function* read(dir: string, ctx: ReaderContext): AsyncGenerator<ImportRecord> {
  const [itemsPath, ...seqPaths] = await datasetFiles(dir, FILES);
  const lines = lineSource(ctx);
  yield { kind: 'scenario', value: ecommerce('food', 'Amazon Grocery & Gourmet Food') };
  yield { kind: 'scenario', value: ecommerce('kitchen', 'Amazon Home & Kitchen') };

  const domainOf = new Map<string, string>();
  for await (const line of lines(itemsPath!)) {
    if (line.lineNo === 1 || line.text === '') continue;
    const [id, domain, asin, ...title] = fields(line, '\t', 4);
    if (domain !== 'food' && domain !== 'kitchen')
      throw new RecError('INVALID_INPUT', `domain must be food or kitchen, got ${JSON.stringify(domain)}`, {
        field: 'domain',
        location: line.location,
      });
    int(id, 'item_id', line.location);
    domainOf.set(id!, domain);
    yield itemRecord(
      { id: id!, scenario: domain, title: title.join('\t'), attributes: { asin: asin! }, available: true },
      line.location,
    );
  }

  for (const [i, spec] of SEQUENCE_FILES.entries()) {
    for await (const line of lines(seqPaths[i]!)) {
      if (line.text === '') continue;
      const [uid, list] = fields(line, '\t', 2);
      int(uid, 'uid', line.location);
      const user = `${spec.users}:${uid}`;
      const ids = list!.split(',');
      const last = ids.length - 1;
      for (let pos = 0; pos <= last; pos++) {
        const item = ids[pos]!;
        const scenario = domainOf.get(item);
        if (scenario === undefined)
          throw new RecError('INVALID_INPUT', `item ${JSON.stringify(item)} is not in items.tsv`, {
            field: `item_ids[${pos}]`,
            location: line.location,
          });
        const split: Split =
          spec.heldOut === undefined ? 'train' : pos === last ? spec.heldOut : `${spec.heldOut}_input`;
        yield eventRecord(
          {
            id: `fk:${spec.tag}:${line.lineNo}:${pos}`,
            user,
            item,
            scenario,
            type: 'purchase',
            ts: syntheticTs(pos),
            split,
          },
          line.location,
        );
      }
    }
  }
}

/** the integers of an upstream count file, one per line */
const counts = (text: string | undefined) => text?.split(/\s+/).filter(Boolean).map(Number);

/**
 * Upstream's count files: `num.txt` holds the food and kitchen item counts (items.tsv rows after
 * its header), `instance_num.txt` the users of train_A, train_B and train_overlap (one row each).
 * valid.txt and test.txt declare no count.
 */
async function check(dir: string, files: readonly string[]): Promise<void> {
  const rows = await requireWholeLines(files);
  const items = counts(await optionalText(dir, 'num.txt'));
  if (items?.length === 2 && items.every(Number.isInteger))
    requireCount('items.tsv', rows.get('items.tsv')! - 1, items[0]! + items[1]!, 'num.txt');
  const users = counts(await optionalText(dir, 'instance_num.txt'));
  if (users?.length === 3 && users.every(Number.isInteger))
    for (const [i, f] of ['train_A.txt', 'train_B.txt', 'train_overlap.txt'].entries())
      requireCount(f, rows.get(f)!, users[i]!, 'instance_num.txt');
}

export const foodKitchen: Reader = {
  files: (dir) => datasetFiles(dir, FILES),
  read,
  check,
  validateFirst: false,
  scenarios: ['food', 'kitchen'],
};
