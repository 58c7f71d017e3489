/**
 * The smallest data the CLI works on: one scenario, one item, one purchase, as the JSONL that
 * `fusionrec import --format jsonl` reads (the start-up bench and the CLI tests import it).
 */
import { writeFileSync } from 'node:fs';

const ONE_EVENT = [
  { kind: 'scenario', id: 'shop', scenarioKind: 'ecommerce' },
  { kind: 'item', id: 'sku-1', scenario: 'shop', title: 'Chef knife' },
  {
    kind: 'event',
    id: 'ev-1',
    user: 'u1',
    item: 'sku-1',
    scenario: 'shop',
    type: 'purchase',
    ts: 1714564800000,
  },
];

/** writes the one-event data to `file` and returns `file` */
export function writeOneEvent(file: string): string {
  writeFileSync(file, `${ONE_EVENT.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return file;
}
