/**
 * The store `bench/boot.ts` boots from: food-kitchen (36k items, ~400k events) imported, its
 * events repeated under new event and user ids (`<id>~r<k>`, `<user>~r<k>`) until the log holds
 * `target` events, then a model trained on it (cheap settings: no sequential model, no graph
 * tuning, a small ranker fit; the boot path does not depend on them). Built once and cached.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../src/config/schema.ts';
import type { Event } from '../src/core/types.ts';
import { importDataset } from '../src/ingest/index.ts';
import { activeVersion } from '../src/model/versions.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { trainFromStore } from '../src/train/train.ts';

const READY = 'bench-boot:ready';

export async function prepareBootStore(
  path: string,
  data: string,
  target: number,
  config: Config,
  log: (line: string) => void,
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const store = new SqliteStore(path);
  try {
    if ((await store.getMeta(READY)) === String(target) && (await activeVersion(store))) return;
    log(`preparing ${path} (import, repeat to ${target.toLocaleString('en-US')} events, train)`);
    await importDataset(store, 'food-kitchen', data, { once: true });
    const base: Event[] = [];
    for await (const page of store.events.pages({ limit: 20_000 })) {
      for (const e of page) if (!e.id.includes('~r')) base.push(stripSeq(e));
    }
    let have = await store.events.count();
    for (let k = 1; have < target; k++) {
      const copies: Event[] = [];
      for (const e of base) {
        if (have + copies.length >= target) break;
        copies.push({ ...e, id: `${e.id}~r${k}`, user: `${e.user}~r${k}` });
      }
      for (let i = 0; i < copies.length; i += 20_000) await store.events.add(copies.slice(i, i + 20_000));
      have = await store.events.count();
      log(`  events: ${have.toLocaleString('en-US')}`);
    }
    const t0 = Date.now();
    const report = await trainFromStore(store, config, {});
    log(`  trained in ${((Date.now() - t0) / 1000).toFixed(1)}s: model version ${report.version}`);
    await store.setMeta(READY, String(target));
  } finally {
    await store.close();
  }
}

function stripSeq(e: Event & { seq?: number }): Event {
  const { seq: _seq, ...rest } = e;
  return rest;
}
