/**
 * A tiny shop whose lists have known answers: `mug` is bought twice every day of the last week
 * (trending), `old-hit` was bought by many a month ago (popular over all time, outside the trending
 * window), `coffee` is bought in the morning and `wine` in the evening, `tv` appears once, and
 * three items carry creation dates (two within the new-items window). Knife and tea items have
 * titles that share words, so a session of knives leads to knives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventInput, ItemInput } from '../src/core/types.ts';
import { itemSchema } from '../src/core/types.ts';
import { encodeItems } from '../src/encode/catalog.ts';
import { parseEvents } from '../src/engine/requests.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { wordHashEncoder } from './engine-fixture.ts';

const DAY = 86_400_000;
/** midnight UTC, ten days ago: events are in the past, their hours of day exact */
const T0 = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
/** the latest event: where the windows end */
export const LAST = T0 + 9 * DAY + 18 * 3_600_000;

const ITEMS: ItemInput[] = [
  { id: 'mug', scenario: 'shop', title: 'enamel camping mug' },
  { id: 'old-hit', scenario: 'shop', title: 'fidget spinner toy' },
  { id: 'coffee', scenario: 'shop', title: 'espresso coffee beans' },
  { id: 'wine', scenario: 'shop', title: 'red wine bottle' },
  { id: 'tv-item', scenario: 'shop', title: 'remote control holder' },
  { id: 'knife-chef', scenario: 'shop', title: 'chef knife forged steel blade' },
  { id: 'knife-paring', scenario: 'shop', title: 'paring knife forged steel blade' },
  { id: 'knife-bread', scenario: 'shop', title: 'bread knife forged steel blade' },
  { id: 'knife-sharpener', scenario: 'shop', title: 'knife sharpener steel blade whetstone' },
  { id: 'tea-green', scenario: 'shop', title: 'green tea leaves loose' },
  { id: 'tea-black', scenario: 'shop', title: 'black tea leaves loose' },
  { id: 'new-1', scenario: 'shop', title: 'brand new gadget', createdAt: LAST - DAY },
  { id: 'new-2', scenario: 'shop', title: 'fairly new gadget', createdAt: LAST - 10 * DAY },
  { id: 'ancient', scenario: 'shop', title: 'ancient gadget', createdAt: LAST - 100 * DAY },
];

function events(): EventInput[] {
  const out: EventInput[] = [];
  let n = 0;
  const buy = (user: string, item: string, ts: number, device?: string) => {
    out.push({
      id: `e${n++}`,
      user,
      item,
      scenario: 'shop',
      type: 'purchase',
      ts,
      ...(device ? { context: { device } } : {}),
    });
  };
  // a month ago, in the afternoon: the old hit, 20 buyers (outside the 7-day trending window)
  for (let u = 0; u < 20; u++) buy(`old${u}`, 'old-hit', T0 - 20 * DAY + 14 * 3_600_000 + u);
  // the last week: the mug, two buyers a day at noon
  for (let d = 3; d < 10; d++) {
    for (const u of ['a', 'b']) buy(`m${d}${u}`, 'mug', T0 + d * DAY + 12 * 3_600_000, 'mobile');
  }
  // coffee in the morning (08:00), wine in the evening (18:00), four each
  for (let d = 5; d < 9; d++) buy(`c${d}`, 'coffee', T0 + d * DAY + 8 * 3_600_000, 'desktop');
  for (let d = 6; d < 10; d++) buy(`w${d}`, 'wine', T0 + d * DAY + 18 * 3_600_000, 'desktop');
  // one event on a tv: too few to rank a list of the tv's own
  buy('t0', 'tv-item', T0 + 9 * DAY + 10 * 3_600_000, 'tv');
  // the knives and teas bought together, by a few users, long ago
  for (let u = 0; u < 3; u++) {
    buy(`k${u}`, 'knife-chef', T0 - 30 * DAY);
    buy(`k${u}`, 'knife-bread', T0 - 30 * DAY + 1000);
    buy(`t${u + 1}`, 'tea-green', T0 - 30 * DAY);
    buy(`t${u + 1}`, 'tea-black', T0 - 30 * DAY + 1000);
  }
  return out;
}

export interface TinyShop {
  dir: string;
  dbPath: string;
  store: SqliteStore;
  encoder: ReturnType<typeof wordHashEncoder>;
  close(): Promise<void>;
}

export async function tinyShop(): Promise<TinyShop> {
  const dir = mkdtempSync(join(tmpdir(), 'lists-'));
  const dbPath = join(dir, 'shop.db');
  const store = new SqliteStore(dbPath);
  await store.scenarios.upsert([{ id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false }]);
  const items = ITEMS.map((i) => itemSchema.parse(i));
  await store.items.upsert(items);
  const encoder = wordHashEncoder();
  await encodeItems(store, encoder, items);
  await store.events.add(parseEvents(events()));
  return {
    dir,
    dbPath,
    store,
    encoder,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
