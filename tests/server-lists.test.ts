/** Lists and anonymous sessions over HTTP, on a tiny shop whose answers are known (lists-fixture.ts). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { openRuntime, type RunningServer, type Runtime, startServer } from '../src/serve/runtime.ts';
import { type TinyShop, tinyShop } from './lists-fixture.ts';
import { call } from './server-fixture.ts';

describe('lists and sessions over HTTP', () => {
  let shop: TinyShop;
  let rt: Runtime;
  let server: RunningServer;
  let url: string;

  before(async () => {
    shop = await tinyShop();
    const config = parseConfig({
      store: { url: `sqlite://${shop.dbPath}` },
      engine: { lists: { minContextEvents: 3 } },
      seq: { enabled: false },
      server: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 0 },
    });
    rt = await openRuntime(config, { store: shop.store, encoder: shop.encoder });
    server = await startServer(rt);
    url = server.url;
  });
  after(async () => {
    await server.close();
    await rt.close();
    await shop.close();
  });

  const ids = (b: { items: { item: string }[] }) => b.items.map((i) => i.item);

  it('GET /v1/trending, /v1/popular, /v1/new answer with titles, scores, counts and the window', async () => {
    const t = await call(url, 'GET', '/v1/trending?scenario=shop&n=2');
    assert.equal(t.status, 200);
    assert.equal(t.body.list, 'trending');
    assert.equal(t.body.items[0].item, 'mug');
    assert.equal(t.body.items[0].title, 'enamel camping mug');
    assert.equal(t.body.items[0].count, 14);
    assert.equal(typeof t.body.items[0].score, 'number');
    assert.equal(t.body.window.days, 7);
    const p = await call(url, 'GET', '/v1/popular?scenario=shop&n=1');
    assert.deepEqual(ids(p.body), ['old-hit']);
    const n = await call(url, 'GET', '/v1/new?scenario=shop');
    assert.deepEqual(ids(n.body), ['new-1', 'new-2']);
  });

  it('per hour band: the evening list differs from the morning list; a thin context falls back', async () => {
    const morning = await call(url, 'GET', '/v1/popular?scenario=shop&band=morning');
    const evening = await call(url, 'GET', '/v1/popular?scenario=shop&hour=19');
    assert.equal(morning.body.items[0].item, 'coffee');
    assert.equal(evening.body.items[0].item, 'wine');
    assert.deepEqual(evening.body.context, { band: 'evening', applied: true, events: 4 });
    const tv = await call(url, 'GET', '/v1/trending?scenario=shop&device=tv');
    assert.equal(tv.body.context.applied, false);
    assert.match(tv.body.context.fallback, /overall/);
    assert.equal(tv.body.items[0].item, 'mug');
  });

  it('bad list queries are 400 naming the field', async () => {
    for (const [q, field] of [
      ['scenario=shop&band=noon', 'band'],
      ['scenario=shop&hour=24', 'hour'],
      ['scenario=shop&n=0', 'n'],
      ['n=3', 'scenario'],
      ['scenario=nowhere', 'scenario'],
    ] as const) {
      const r = await call(url, 'GET', `/v1/trending?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.field, field, q);
    }
  });

  it('a session steers /v1/recommend without a user; unknown sessions get the cold start', async () => {
    const cold = await call(url, 'POST', '/v1/recommend', {
      scenario: 'shop',
      n: 3,
      context: { session: 'x' },
    });
    assert.equal(cold.status, 200);
    assert.ok(!ids(cold.body)[0]!.startsWith('knife'));
    const s = await call(url, 'POST', '/v1/sessions/web-1/events', {
      events: [{ item: 'knife-chef' }, { item: 'knife-paring', type: 'view' }],
    });
    assert.equal(s.status, 200);
    assert.equal(s.body.session, 'web-1');
    assert.equal(s.body.items, 2);
    const r = await call(url, 'POST', '/v1/recommend', {
      scenario: 'shop',
      n: 3,
      context: { session: 'web-1' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.session, 'web-1');
    assert.ok(ids(r.body)[0]!.startsWith('knife'), ids(r.body).join());
  });

  it('bad session input is 400 naming the field; no user and no session is 400 on user', async () => {
    const none = await call(url, 'POST', '/v1/recommend', { scenario: 'shop' });
    assert.equal(none.status, 400);
    assert.equal(none.body.error.field, 'user');
    const unknown = await call(url, 'POST', '/v1/sessions/web-2/events', { events: [{ item: 'nope' }] });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.field, 'events[0].item');
    const empty = await call(url, 'POST', '/v1/sessions/web-2/events', { events: [] });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.field, 'events');
  });

  it('the OpenAPI document lists the new routes', async () => {
    const doc = await call(url, 'GET', '/openapi.json');
    for (const p of ['/v1/trending', '/v1/popular', '/v1/new', '/v1/sessions/{id}/events']) {
      assert.ok(doc.body.paths[p], p);
    }
  });
});
