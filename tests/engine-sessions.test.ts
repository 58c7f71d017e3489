import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { isRecError } from '../src/core/errors.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { type TinyShop, tinyShop } from './lists-fixture.ts';

const KNIVES = new Set(['knife-chef', 'knife-paring', 'knife-bread', 'knife-sharpener']);

describe('anonymous sessions (engine)', () => {
  let shop: TinyShop;
  let engine: Engine;
  let now = Date.now();

  before(async () => {
    shop = await tinyShop();
    const config = parseConfig({ engine: { sessions: { ttlMinutes: 30 } }, seq: { enabled: false } });
    engine = await createEngine(config, {
      store: shop.store,
      encoder: shop.encoder,
      onWarning: () => {},
      clock: () => now,
    });
  });
  after(async () => {
    await engine.close();
    await shop.close();
  });

  const ids = (r: { items: { item: string }[] }) => r.items.map((i) => i.item);

  it("a session's items steer the answer above the cold-start popular one", async () => {
    const cold = await engine.recommend({ scenario: 'shop', n: 3, context: { session: 'never-seen' } });
    assert.equal(cold.session, undefined);
    assert.equal(cold.user, undefined);
    assert.ok(!KNIVES.has(cold.items[0]!.item), `cold start: ${ids(cold)}`);
    const stored = await shop.store.events.count();
    const added = await engine.addSessionEvents!({
      session: 's1',
      events: [{ item: 'knife-chef' }, { item: 'knife-paring' }],
    });
    assert.equal(added.items, 2);
    const r = await engine.recommend({ scenario: 'shop', n: 3, context: { session: 's1' } });
    assert.equal(r.session, 's1');
    assert.ok(KNIVES.has(r.items[0]!.item), `session answer: ${ids(r)}`);
    assert.ok(!ids(r).includes('knife-chef'), 'the items the session viewed are history, not answers');
    // nothing of the session reached the event log
    assert.equal(await shop.store.events.count(), stored);
  });

  it('a user without history uses the session; a user with history keeps their own', async () => {
    const r = await engine.recommend({
      user: 'brand-new',
      scenario: 'shop',
      n: 3,
      context: { session: 's1' },
    });
    assert.equal(r.session, 's1');
    assert.ok(KNIVES.has(r.items[0]!.item));
    const known = await engine.recommend({ user: 't1', scenario: 'shop', n: 3, context: { session: 's1' } });
    assert.equal(known.session, undefined);
  });

  it("a history filter on a session's request reads no stored events (the session has none)", async () => {
    const r = await engine.recommend({
      scenario: 'shop',
      n: 3,
      context: { session: 's1' },
      filter: 'not purchase within 30d',
    });
    assert.equal(r.session, 's1');
    assert.equal(r.items.length, 3);
  });

  it('an expired session gives the cold-start answer', async () => {
    const cold = await engine.recommend({ scenario: 'shop', n: 5, context: { session: 'never-seen' } });
    now += 31 * 60_000;
    const r = await engine.recommend({ scenario: 'shop', n: 5, context: { session: 's1' } });
    assert.equal(r.session, undefined);
    assert.deepEqual(ids(r), ids(cold));
  });

  it("with a user the session's events are stored as theirs", async () => {
    const before = await shop.store.events.count();
    await engine.addSessionEvents!({
      session: 's2',
      user: 'signed-in',
      events: [{ item: 'tea-green', ts: now - 1000 }],
    });
    const stored = await shop.store.events.ofUser('signed-in');
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.context?.session, 's2');
    assert.equal(await shop.store.events.count(), before + 1);
  });

  it('bad requests name the field', async () => {
    await assert.rejects(
      engine.recommend({ scenario: 'shop' } as never),
      (e) => isRecError(e) && e.field === 'user',
    );
    await assert.rejects(
      engine.addSessionEvents!({ session: 's3', events: [{ item: 'knife-chef' }, { item: 'nope' }] }),
      (e) => isRecError(e) && e.code === 'UNKNOWN_ITEM' && e.field === 'events[1].item',
    );
    await assert.rejects(
      engine.addSessionEvents!({ session: 's3', events: [] }),
      (e) => isRecError(e) && e.field === 'events',
    );
  });
});
