/**
 * The engine keeps work between requests (profiles, per-profile text features and search answers,
 * events applied to a cached profile on its next read, reused accumulators). Whatever it keeps,
 * its answers must be those of an engine that kept nothing: compared here with engines opened
 * fresh on the same store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine, RecommendRequest } from '../src/engine/types.ts';
import { foodKitchenSlice, type Slice } from './engine-fixture.ts';

describe('cached work gives the answers of a fresh engine', () => {
  let slice: Slice;
  let engine: Engine;
  /** opened with `engine`, asked nothing before the deletion test */
  let twin: Engine;
  let gone = '';
  // exact search below 50 items: the slice's scenarios use the HNSW index, as the full catalog does
  const config = parseConfig({ engine: { exactSearchBelow: 50 } });
  const open = (c = config) =>
    createEngine(c, { store: slice.store, encoder: slice.encoder, onWarning: () => {} });
  // keeps no ranked candidates between requests
  const uncached = parseConfig({ engine: { exactSearchBelow: 50, rankCacheSeconds: 0 } });
  const ask = async (e: Engine, r: RecommendRequest) => {
    const res = await e.recommend(r);
    return res.items.map((i) => ({ item: i.item, score: i.score, reasons: i.reasons }));
  };

  before(async () => {
    slice = await foodKitchenSlice({ overlap: 200, single: 60, heldOut: 30 });
    engine = await open();
    twin = await open();
  });
  after(async () => {
    await twin.close();
    await engine.close();
    await slice.close();
  });

  it('a repeat request in another context equals a first request', async () => {
    const fresh = await open(uncached);
    try {
      for (const h of slice.heldOut.slice(0, 12)) {
        await engine.recommend({
          user: h.user,
          scenario: h.scenario,
          n: 10,
          context: { device: 'tv', hour: 21 },
        });
        const r: RecommendRequest = {
          user: h.user,
          scenario: h.scenario,
          n: 10,
          context: { device: 'mobile', hour: 8 },
        };
        assert.deepEqual(await ask(engine, r), await ask(fresh, r));
        // the same request twice in a row (memoised features, searches and ranked candidates) is still the same
        assert.deepEqual(await ask(engine, r), await ask(fresh, r));
        // the kept candidates serve other diversity and n: MMR and explanations run per request
        for (const other of [
          { ...r, diversity: 0.6 },
          { ...r, diversity: 0, n: 25 },
        ]) {
          assert.deepEqual(await ask(engine, other), await ask(fresh, other));
        }
      }
    } finally {
      await fresh.close();
    }
  });

  it('a deleted item leaves the memoised searches: as an engine that never served the user', async () => {
    const h = slice.heldOut[20]!;
    const r = { user: h.user, scenario: h.scenario, n: 10 };
    const first = await ask(engine, r);
    gone = first.find((i) => i.reasons.retriever === 'semantic')?.item ?? first[0]!.item;
    // white box: the answers rarely show a stale search (the replacement hit seldom reaches the
    // top 10), so check that the memo was emptied
    // (the engine createEngine returns holds the serving FusionEngine as its generation, swap.ts)
    const memo = (engine as unknown as { gen: { engine: { memo: { size: number } } } }).gen.engine.memo;
    assert.ok(memo.size > 0);
    assert.equal(await engine.deleteItem(gone), true);
    assert.equal(memo.size, 0);
    await twin.deleteItem(gone);
    const now = await ask(engine, r);
    assert.ok(!now.some((i) => i.item === gone));
    assert.equal(now.length, 10);
    assert.deepEqual(now, await ask(twin, r));
  });
  it('events in several batches for cached users: the profile a fresh engine reads from the store', async () => {
    // users whose history does not hold the deleted item (a fresh engine no longer knows it)
    const users = slice.heldOut.filter((h) => !h.history.includes(gone)).slice(0, 6);
    for (const h of users) await engine.recommend({ user: h.user, scenario: h.scenario, n: 10 });
    const items = [...slice.items.values()];
    const ts = Date.now();
    for (let b = 0; b < 3; b++) {
      const batch = users.map((h, u) => {
        const it = items[(u * 37 + b * 101) % items.length]!;
        return {
          id: `cached:${h.user}:${b}`,
          user: h.user,
          item: it.id,
          scenario: it.scenario,
          type: 'purchase',
          ts: ts + b,
        };
      });
      const res = await engine.addEvents(batch);
      assert.equal(res.inserted, users.length);
    }
    // a repeated batch is recognised as duplicates and changes nothing
    const again = await engine.addEvents([
      {
        id: `cached:${users[0]!.user}:0`,
        user: users[0]!.user,
        item: items[0]!.id,
        scenario: items[0]!.scenario,
        type: 'purchase',
        ts,
      },
    ]);
    assert.deepEqual(again, { inserted: 0, duplicates: 1 });
    // a fresh engine reads the profile from the store (its item graphs would include the new
    // events, so only profiles are compared with it)
    const fresh = await open();
    try {
      for (const h of users) {
        const p = await engine.profile(h.user);
        assert.equal(p.events, h.history.length + 3);
        assert.deepEqual(p, await fresh.profile(h.user));
      }
    } finally {
      await fresh.close();
    }
  });
});
