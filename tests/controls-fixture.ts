/**
 * A small catalog with the attributes business controls read (category path, tags, a numeric
 * price, a string brand, createdAt, availability) and users with purchases and views at known
 * ages, in a temporary SQLite store. Seeded: the property test draws many of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Item } from '../src/core/types.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

export const DAY = 86_400_000;
/** ages are whole days plus a half, so no comparison with `now - <whole days>` sits on its edge */
const HALF = DAY / 2;

export const CATEGORIES = ['Shoes', 'Kettles', 'Knives', 'Pans'];
export const TAGS = ['red', 'blue', 'sale', 'new', 'eco'];
export const BRANDS = ['acme', 'zeta', 'nova'];
const EVENT_TYPES = ['purchase', 'view'];

export interface ControlsCatalog {
  dir: string;
  db: string;
  store: SqliteStore;
  items: Item[];
  events: Event[];
  users: string[];
  close(): Promise<void>;
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

export async function controlsCatalog(
  seed: number,
  opts: { items?: number; users?: number; now?: number } = {},
): Promise<ControlsCatalog> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const now = opts.now ?? Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'controls-'));
  const db = join(dir, 'c.db');
  const store = new SqliteStore(db);
  await store.scenarios.upsert([{ id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false }]);
  const items: Item[] = [];
  const n = opts.items ?? 60;
  for (let i = 0; i < n; i++) {
    const attributes: Record<string, string | number | boolean> = {};
    if (r() < 0.85) attributes.price = Math.round(r() * 10_000) / 100;
    if (r() < 0.7) attributes.brand = pick(BRANDS);
    items.push({
      id: `i${String(i).padStart(3, '0')}`,
      scenario: 'shop',
      title: `${pick(['Red', 'Blue', 'Small', 'Large'])} ${pick(CATEGORIES).toLowerCase()} ${i}`,
      ...(r() < 0.9 ? { category: ['Home', pick(CATEGORIES)] } : {}),
      tags: TAGS.filter(() => r() < 0.3),
      attributes,
      ...(r() < 0.8 ? { createdAt: now - Math.floor(r() * 120) * DAY - HALF } : {}),
      available: r() < 0.9,
    });
  }
  await store.items.upsert(items);
  const users = Array.from({ length: opts.users ?? 12 }, (_, u) => `u${u}`);
  const events: Event[] = [];
  for (const user of users) {
    const count = 2 + Math.floor(r() * 6);
    for (let k = 0; k < count; k++) {
      const item = pick(items);
      events.push({
        id: `${user}:${k}`,
        user,
        item: item.id,
        scenario: 'shop',
        type: pick(EVENT_TYPES),
        ts: now - Math.floor(r() * 60) * DAY - HALF,
      });
    }
  }
  await store.events.add(events);
  return {
    dir,
    db,
    store,
    items,
    events,
    users,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
