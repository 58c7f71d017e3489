/**
 * The store `bench/boot.ts` boots from: food-kitchen (36k items, ~400k events) imported, its
 * events repeated under new event and user ids (`<id>~r<k>`, `<user>~r<k>`) until the log holds
 * `target` events, then a model trained on it (cheap settings: no sequential model, no graph
 * tuning, a small ranker fit; the boot path does not depend on them). Built once and cached;
 * `copyToPostgres` copies it into a PostgreSQL store for the distributed boot.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../src/config/schema.ts';
import type { Event } from '../src/core/types.ts';
import { BOOT_NAMESPACE } from '../src/engine/boot.ts';
import { importDataset } from '../src/ingest/index.ts';
import { activeVersion } from '../src/model/versions.ts';
import { MATRIX_NAMESPACE } from '../src/store/derived/matrix.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';
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

/**
 * A copy of the bench store in a PostgreSQL store: items, scenarios and the event log in `seq`
 * order (so the copy numbers them alike and the model's event position holds), then the derived
 * blobs, the trained model among them. The boot snapshot and saved matrices are left out: the
 * boots over the copy make their own.
 */
export async function copyToPostgres(
  path: string,
  target: Store,
  log: (line: string) => void,
): Promise<void> {
  const source = new SqliteStore(path);
  const raw = new Database(path, { readonly: true });
  try {
    const t0 = performance.now();
    await target.scenarios.upsert(await source.scenarios.list());
    for await (const page of source.items.pages({ limit: 5000 })) await target.items.upsert(page);
    let after: number | undefined = 0;
    while (after !== undefined) {
      const page = await source.events.scan({ afterSeq: after, limit: 20_000 });
      if (page.events.length > 0) await target.events.add(page.events.map(stripSeq));
      after = page.next;
    }
    const namespaces = raw.prepare('SELECT DISTINCT ns FROM blobs').pluck().all() as string[];
    for (const ns of namespaces) {
      if (ns === BOOT_NAMESPACE || ns === MATRIX_NAMESPACE) continue;
      const keys = await source.blobs.keys(ns);
      for (let i = 0; i < keys.length; i += 500) {
        const got = await source.blobs.getMany(ns, keys.slice(i, i + 500));
        await target.blobs.put(
          ns,
          [...got].map(([key, value]) => ({ key, value })),
        );
      }
    }
    log(
      `  copied to PostgreSQL in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${(await target.events.count()).toLocaleString('en-US')} events`,
    );
  } finally {
    raw.close();
    await source.close();
  }
}
