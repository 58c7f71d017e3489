import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { openRedisCache } from '../src/cache/redis.ts';
import { parseConfig } from '../src/config/load.ts';
import { isRecError } from '../src/core/errors.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { type TinyShop, tinyShop } from './lists-fixture.ts';

const ids = (r: { items: { item: string }[] }) => r.items.map((i) => i.item);
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

describe('anonymous sessions across engines sharing a cache (Redis)', () => {
  const REDIS_URL = process.env.FUSIONREC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
  const prefix = `fusionrec-test-${randomBytes(5).toString('hex')}:`;
  const config = parseConfig({ engine: { sessions: { ttlMinutes: 30 } }, seq: { enabled: false } });
  let shop: TinyShop;
  const open: { close(): Promise<void> }[] = [];
  const redis = new Redis(REDIS_URL);

  /** an engine over the shop with its own cache client, as another node would have */
  async function node(url = REDIS_URL): Promise<Engine> {
    const cache = await openRedisCache({ url, prefix, ttlMs: 1000, log: () => {} });
    const engine = await createEngine(config, {
      store: shop.store,
      encoder: shop.encoder,
      cache,
      onWarning: () => {},
    });
    open.push(engine, cache);
    return engine;
  }

  before(async () => {
    shop = await tinyShop();
  });
  after(async () => {
    for (const c of open.reverse()) await c.close();
    await shop.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("a session started on one engine steers the other's answer; the cache names neither session nor user", async () => {
    const a = await node();
    const b = await node();
    await a.addSessionEvents!({ session: 'roaming', events: [{ item: 'knife-chef' }] });
    // the next request lands on the other node
    await b.addSessionEvents!({ session: 'roaming', events: [{ item: 'knife-paring' }] });
    const onA = await a.recommend({ scenario: 'shop', n: 3, context: { session: 'roaming' } });
    const onB = await b.recommend({ scenario: 'shop', n: 3, context: { session: 'roaming' } });
    assert.equal(onA.session, 'roaming');
    assert.deepEqual(ids(onA), ids(onB), 'both nodes answer from both events');
    assert.ok(KNIVES.has(onB.items[0]!.item), `session answer: ${ids(onB)}`);
    assert.ok(!ids(onA).includes('knife-paring') && !ids(onA).includes('knife-chef'));
    const keys = await redis.keys(`${prefix}*`);
    assert.equal(keys.filter((k) => k.startsWith(`${prefix}sess:`)).length, 1);
    assert.ok(!keys.some((k) => k.includes('roaming')));
    // a deleted item leaves the shared session too
    await a.deleteItem('knife-chef');
    const key = keys.find((k) => k.startsWith(`${prefix}sess:`))!;
    // the shared copy is filtered after the answer (the node does not wait on the cache)
    let left = await redis.lrange(key, 0, -1);
    for (let tries = 0; left.length > 1 && tries < 100; tries++) {
      await new Promise((r) => setTimeout(r, 20));
      left = await redis.lrange(key, 0, -1);
    }
    assert.equal(left.length, 1);
    assert.ok(left[0]!.includes('knife-paring'));
  });

  it("with the cache unreachable a node keeps sessions in its own memory and /health's cache entry says so", async () => {
    const down = await openRedisCache({ url: 'redis://127.0.0.1:1', prefix, ttlMs: 1000, log: () => {} });
    const engine = await createEngine(config, {
      store: shop.store,
      encoder: shop.encoder,
      cache: down,
      onWarning: () => {},
    });
    open.push(engine, down);
    await engine.addSessionEvents!({ session: 'local', events: [{ item: 'knife-bread' }] });
    const r = await engine.recommend({ scenario: 'shop', n: 3, context: { session: 'local' } });
    assert.equal(r.session, 'local');
    assert.ok(KNIVES.has(r.items[0]!.item));
    const health = down.health();
    assert.equal(health.status, 'degraded');
    assert.match(health.detail ?? '', /sessions in this node's memory/);
  });
});
