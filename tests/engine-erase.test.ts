/**
 * A running engine forgets an erased user's share of the model at once, and the erasure leaves a
 * trained model valid for everyone else: its stamp is unchanged and the reopened engine serves the
 * erased graphs, not a stale fallback.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import type { Event } from '../src/core/types.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { loadActiveModel } from '../src/model/versions.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { trainFromStore } from '../src/train/train.ts';
import { tempDir } from './import-helpers.ts';

const tmp = tempDir('engine-erase');
after(tmp.cleanup);
const T = Date.UTC(2024, 0, 1);
const TARGET = 'only-link-user';

/**
 * 80 users over items i0..i37 (i0 and i1 together in many histories); the target alone holds
 * i38 and i39 (a link nobody else makes) next to i0 and i1; `probe` holds i38 alone.
 */
async function seed(file: string): Promise<SqliteStore> {
  const store = new SqliteStore(file);
  await store.scenarios.upsert([{ id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false }]);
  await store.items.upsert(
    Array.from({ length: 40 }, (_, i) => ({
      id: `i${i}`,
      scenario: 'shop',
      title: `Item ${i}`,
      available: true,
    })),
  );
  const events: Event[] = [];
  let n = 0;
  const ev = (user: string, item: string, k: number): Event => ({
    id: `e${n++}`,
    user,
    item,
    scenario: 'shop',
    type: 'purchase',
    ts: T + k * 60_000,
  });
  for (let u = 0; u < 80; u++) {
    const items = u % 2 === 0 ? ['i0', 'i1'] : [];
    for (let k = 0; k < 6; k++) items.push(`i${2 + ((u * 5 + k * 7) % 36)}`);
    items.forEach((it, k) => {
      events.push(ev(`user-${u}`, it, k));
    });
  }
  ['i0', 'i38', 'i39', 'i1'].forEach((it, k) => {
    events.push(ev(TARGET, it, k));
  });
  events.push(ev('probe', 'i38', 0));
  await store.events.add(events);
  return store;
}

const config = parseConfig({
  train: { tuneGraph: false, heldOutCases: 0, fitCases: 40, decays: [0.8] },
  seq: { enabled: false },
});

async function similar(engine: Engine, item: string) {
  return (await engine.similarItems(item, 10)).map((r) => ({
    item: r.item,
    by: r.reasons.retriever,
    s: r.score,
  }));
}

describe('erasing a user from a running engine', () => {
  it('drops a link the user alone made and weakens a shared one, at once', async () => {
    const store = await seed(join(tmp.dir, 'live.db'));
    const engine = await createEngine(config, { store, encoder: null, onWarning: () => {} });
    try {
      const before = await similar(engine, 'i38');
      assert.ok(
        before.some((r) => r.item === 'i39' && r.by === 'collaborative'),
        JSON.stringify(before),
      );
      const shared = (await similar(engine, 'i0')).find((r) => r.item === 'i1')!;
      const recBefore = await engine.recommend({ user: 'probe', scenario: 'shop', n: 5 });
      assert.equal(recBefore.items[0]?.item, 'i39', 'the link carries the probe to i39');

      assert.equal(await engine.deleteUser(TARGET), 5);

      const afterwards = await similar(engine, 'i38');
      assert.ok(!afterwards.some((r) => r.item === 'i39'), JSON.stringify(afterwards));
      const sharedAfter = (await similar(engine, 'i0')).find((r) => r.item === 'i1')!;
      assert.equal(sharedAfter.by, 'collaborative', 'others still make the shared link');
      const recAfter = await engine.recommend({ user: 'probe', scenario: 'shop', n: 5 });
      assert.ok(!recAfter.items.some((r) => r.item === 'i39'), JSON.stringify(recAfter.items));
      assert.ok(shared.s > 0 && sharedAfter.s > 0);
    } finally {
      await engine.close();
      await store.close();
    }
  });

  it('keeps the trained model fresh for everyone else, with the erasure saved in it', async () => {
    const file = join(tmp.dir, 'trained.db');
    const store = await seed(file);
    const warnings: string[] = [];
    try {
      await trainFromStore(store, config, {});
      const trained = await loadActiveModel(store);
      assert.ok(trained);
      const engine = await createEngine(config, { store, encoder: null, onWarning: (m) => warnings.push(m) });
      assert.equal(
        (await engine.recommend({ user: 'user-1', scenario: 'shop', n: 3 })).modelVersion,
        trained.version,
      );
      assert.ok((await similar(engine, 'i38')).some((r) => r.item === 'i39' && r.by === 'collaborative'));
      assert.equal(await engine.deleteUser(TARGET), 5);
      assert.ok(!(await similar(engine, 'i38')).some((r) => r.item === 'i39'));
      await engine.close();

      const reopened = await createEngine(config, {
        store,
        encoder: null,
        onWarning: (m) => warnings.push(m),
      });
      try {
        assert.deepEqual(warnings, [], 'no stale-model warning');
        const r = await reopened.recommend({ user: 'user-1', scenario: 'shop', n: 3 });
        assert.equal(r.modelVersion, trained.version, 'the same trained model serves');
        assert.ok(
          !(await similar(reopened, 'i38')).some((x) => x.item === 'i39'),
          'the saved graphs lost the link',
        );
        const saved = (await loadActiveModel(store))!;
        const count = (id: string) => saved.graphs.counts[saved.header.itemIds.indexOf(id)];
        assert.equal(count('i39'), 0, 'i39 was counted for the erased user alone');
        assert.equal(count('i38'), 1, 'the probe still counts for i38');
      } finally {
        await reopened.close();
      }
    } finally {
      await store.close();
    }
  });
});
