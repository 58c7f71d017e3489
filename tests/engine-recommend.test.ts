import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { isRecError } from '../src/core/errors.ts';
import { createEngine } from '../src/engine/create.ts';
import { DEFAULT_N } from '../src/engine/requests.ts';
import type { Engine } from '../src/engine/types.ts';
import { foodKitchenSlice, ndcgAt10, type Slice } from './engine-fixture.ts';

describe('engine on a real food-kitchen slice', () => {
  let slice: Slice;
  let engine: Engine;
  const config = parseConfig({});

  before(async () => {
    slice = await foodKitchenSlice();
    engine = await createEngine(config, { store: slice.store, encoder: slice.encoder, onWarning: () => {} });
  });
  after(async () => {
    await engine.close();
    await slice.close();
  });

  it('beats popularity on held-out users (NDCG@10, full ranking within the target scenario)', async () => {
    let eng = 0;
    let pop = 0;
    for (const h of slice.heldOut) {
      const r = await engine.recommend({ user: h.user, scenario: h.scenario, n: 10, diversity: 0 });
      eng += ndcgAt10(
        r.items.map((i) => i.item),
        h.target,
      );
      // popularity: the same store's most popular items of the scenario, minus the history
      const seen = new Set(h.history);
      const popular = (await slice.store.events.popularity(h.scenario, { limit: 200 }))
        .map((p) => p.item)
        .filter((i) => !seen.has(i));
      pop += ndcgAt10(popular, h.target);
    }
    eng /= slice.heldOut.length;
    pop /= slice.heldOut.length;
    assert.ok(eng > pop * 1.5 && eng > 0.02, `engine ${eng.toFixed(4)} vs popularity ${pop.toFixed(4)}`);
  });

  it('returns n distinct, unconsumed items for every request: known, new and sparse users', async () => {
    const h = slice.heldOut[0]!;
    for (const user of [h.user, 'nobody-knows-me', 'b0']) {
      for (const scenario of ['food', 'kitchen']) {
        const r = await engine.recommend({ user, scenario, n: 25 });
        assert.equal(r.items.length, 25, `${user} in ${scenario}`);
        assert.equal(new Set(r.items.map((i) => i.item)).size, 25);
        assert.ok(r.items.every((i) => i.scenario === scenario));
        if (user === h.user) assert.ok(r.items.every((i) => !h.history.includes(i.item)));
      }
    }
    const fresh = await engine.recommend({ user: 'nobody-knows-me', scenario: 'kitchen', n: 5 });
    assert.ok(fresh.retrievers.some((n) => n === 'trending' || n === 'popular'));
  });

  it('answers a request without n with the default number of items', async () => {
    const h = slice.heldOut[2]!;
    const req = { user: h.user, scenario: h.scenario, context: { device: 'mobile' } };
    const asked = await engine.recommend({ ...req, n: DEFAULT_N });
    const defaulted = await engine.recommend(req);
    assert.equal(defaulted.items.length, DEFAULT_N);
    // the same answer, each with an id of its own
    assert.notEqual(defaulted.recommendationId, asked.recommendationId);
    assert.deepEqual({ ...defaulted, recommendationId: '' }, { ...asked, recommendationId: '' });
  });

  it('honours exclusion lists', async () => {
    const h = slice.heldOut[1]!;
    const first = await engine.recommend({ user: h.user, scenario: h.scenario, n: 5 });
    const banned = first.items.slice(0, 2).map((i) => i.item);
    const again = await engine.recommend({ user: h.user, scenario: h.scenario, n: 5, exclude: banned });
    assert.ok(again.items.every((i) => !banned.includes(i.item)));
    assert.equal(again.items.length, 5);
  });

  it('explanations cite real history items of that user, with their scenarios', async () => {
    let cited = 0;
    for (const h of slice.heldOut.slice(0, 20)) {
      const r = await engine.recommend({ user: h.user, scenario: h.scenario, n: 5 });
      for (const rec of r.items) {
        assert.ok(rec.reasons.retriever.length > 0);
        for (const c of rec.reasons.history) {
          assert.ok(h.history.includes(c.item), `${c.item} is not in ${h.user}'s history`);
          assert.equal(c.scenario, slice.items.get(c.item)!.scenario);
          assert.ok(c.contribution > 0 && c.contribution <= 1);
          cited++;
        }
      }
    }
    assert.ok(cited > 20, `only ${cited} citations`);
  });

  it('posting one event changes that user’s next recommendation at once', async () => {
    const h = slice.heldOut[2]!;
    const beforeRec = await engine.recommend({ user: h.user, scenario: h.scenario, n: 10 });
    const bought = beforeRec.items[0]!.item;
    const res = await engine.addEvents([
      {
        id: `${h.user}:live-1`,
        user: h.user,
        item: bought,
        scenario: h.scenario,
        type: 'purchase',
        ts: Date.now(),
      },
    ]);
    assert.deepEqual(res, { inserted: 1, duplicates: 0 });
    const afterRec = await engine.recommend({ user: h.user, scenario: h.scenario, n: 10 });
    assert.ok(!afterRec.items.some((i) => i.item === bought), 'the purchased item is consumed now');
    assert.notDeepEqual(
      afterRec.items.map((i) => i.item),
      beforeRec.items.map((i) => i.item),
    );
    const profile = await engine.profile(h.user);
    assert.equal(profile.events, h.history.length + 1);
  });

  it('commits concurrent event batches in one transaction and answers each with its own counts', async () => {
    const h = slice.heldOut[3]!;
    const item = h.history[0]!;
    const scenario = slice.items.get(item)!.scenario;
    const ev = (id: string) => ({
      id: `${h.user}:group-${id}`,
      user: h.user,
      item,
      scenario,
      type: 'view',
      ts: 1,
    });
    const events = slice.store.events;
    const add = events.add.bind(events);
    let transactions = 0;
    events.add = (...a) => {
      transactions++;
      return add(...a);
    };
    try {
      const before = await events.count();
      const [a, b, c] = await Promise.all([
        engine.addEvents([ev('1'), ev('2')]),
        // one id again from the batch before it, one new
        engine.addEvents([ev('2'), ev('3')]),
        engine.addEvents([ev('1')]),
      ]);
      assert.deepEqual(
        [a, b, c],
        [
          { inserted: 2, duplicates: 0 },
          { inserted: 1, duplicates: 1 },
          { inserted: 0, duplicates: 1 },
        ],
      );
      assert.equal(transactions, 1, 'three concurrent batches, one transaction');
      assert.equal(await events.count(), before + 3);
      // a batch awaited before the next is sent is its own transaction
      await engine.addEvents([ev('4')]);
      await engine.addEvents([ev('4'), ev('5')]);
      assert.equal(transactions, 3);
      assert.equal(await events.count(), before + 5);
    } finally {
      events.add = add;
    }
  });

  it('serves a user with no history in the target scenario from their other-scenario interests', async () => {
    // a held-out user who arrives in kitchen knowing only their food history
    const h = slice.heldOut.find((x) => x.history.some((i) => slice.items.get(i)!.scenario === 'food'))!;
    const foodOnly = h.history.filter((i) => slice.items.get(i)!.scenario === 'food');
    const user = `${h.user}-food-only`;
    await engine.addEvents(
      foodOnly.map((item, p) => ({
        id: `${user}:${p}`,
        user,
        item,
        scenario: 'food',
        type: 'purchase',
        ts: 1_600_000_000_000 + p,
      })),
    );
    const r = await engine.recommend({ user, scenario: 'kitchen', n: 10 });
    assert.equal(r.items.length, 10);
    assert.ok(
      r.retrievers.includes('collaborative') || r.retrievers.includes('semantic'),
      r.retrievers.join(),
    );
    const citedFood = r.items.flatMap((i) => i.reasons.history).filter((c) => c.scenario === 'food');
    assert.ok(citedFood.length > 0, 'kitchen recommendations are explained by food purchases');
    const popular = await engine.recommend({ user: 'nobody-at-all', scenario: 'kitchen', n: 10 });
    assert.notDeepEqual(
      r.items.map((i) => i.item),
      popular.items.map((i) => i.item),
    );
  });

  it('reaches an item with no events through its content vector', async () => {
    const h = slice.heldOut[3]!;
    const last = slice.items.get(h.history[h.history.length - 1]!)!;
    const twin = {
      id: 'cold-twin',
      scenario: last.scenario,
      title: `${last.title} (new edition)`,
      available: true,
    };
    await engine.upsertItems([twin]);
    const similar = await engine.similarItems(last.id, 10);
    assert.ok(similar.some((s) => s.item === 'cold-twin' && s.reasons.retriever === 'semantic'));
    const r = await engine.recommend({ user: h.user, scenario: last.scenario, n: 50, diversity: 0 });
    assert.ok(r.items.some((i) => i.item === 'cold-twin'));
  });

  it('rejects bad requests with stable codes naming the field', async () => {
    await assert.rejects(
      engine.recommend({ user: 'x', scenario: 'nope', n: 3 }),
      (e) => isRecError(e) && e.code === 'UNKNOWN_SCENARIO' && e.field === 'scenario',
    );
    await assert.rejects(
      engine.recommend({ user: 'x', scenario: 'food', n: 0 }),
      (e) => isRecError(e) && e.code === 'INVALID_INPUT' && e.field === 'n',
    );
    await assert.rejects(
      engine.recommend({ user: 'x', scenario: 'food', diversity: 2 }),
      (e) => isRecError(e) && e.code === 'INVALID_INPUT' && e.field === 'diversity',
    );
    await assert.rejects(
      engine.explain('x', 'no-such-item'),
      (e) => isRecError(e) && e.code === 'UNKNOWN_ITEM',
    );
  });

  it('builds multi-interest profiles with labels and a scenario mix', async () => {
    const overlapUser = 'o1';
    const p = await engine.profile(overlapUser);
    assert.ok(p.fused.length >= 1);
    const mass = p.fused.reduce((s, i) => s + i.weight, 0);
    assert.ok(Math.abs(mass - 1) < 1e-6);
    for (const i of p.fused) {
      assert.ok(i.label.length > 0);
      assert.ok(i.topItems.length > 0);
    }
    assert.ok(Object.keys(p.perScenario).length >= 1);
  });

  it('forgets a deleted user', async () => {
    const h = slice.heldOut[4]!;
    assert.ok((await engine.profile(h.user)).events > 0);
    assert.ok((await engine.deleteUser(h.user)) > 0);
    assert.equal((await engine.profile(h.user)).events, 0);
  });
});
