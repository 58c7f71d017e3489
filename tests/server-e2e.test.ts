/**
 * End-to-end over real HTTP on an ephemeral loopback port, with the real engine and encoder on
 * the demo database: real-time effect of events, idempotency, the catalog and user routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, type DemoServer, startDemoServer } from './server-fixture.ts';

describe('server end-to-end (demo data, real engine)', () => {
  let s: DemoServer;
  before(async () => {
    s = await startDemoServer();
  });
  after(async () => {
    await s?.close();
  });

  test('health, readiness, scenarios and OpenAPI', async () => {
    assert.equal((await call(s.url, 'GET', '/health')).status, 200);
    assert.equal((await call(s.url, 'GET', '/ready')).body.ready, true);
    const scenarios = (await call(s.url, 'GET', '/v1/scenarios')).body.scenarios.map(
      (x: { id: string }) => x.id,
    );
    assert.deepEqual(scenarios.sort(), ['music', 'news', 'shop', 'video']);
    const doc = (await call(s.url, 'GET', '/openapi.json')).body;
    assert.ok(Object.keys(doc.paths).length >= 15);
  });

  test('recommend returns n items of the scenario, each with score and reasons', async () => {
    for (const scenario of ['shop', 'music', 'video', 'news']) {
      const r = await call(s.url, 'POST', '/v1/recommend', {
        user: 'u001',
        scenario,
        n: 5,
        context: { device: 'mobile', hour: 8 },
        diversity: 0.3,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.items.length, 5);
      const ids = r.body.items.map((x: { item: string }) => x.item);
      assert.equal(new Set(ids).size, 5, 'no duplicates');
      for (const it of r.body.items) {
        assert.equal(it.scenario, scenario);
        assert.ok(Number.isFinite(it.score));
        assert.equal(typeof it.reasons.retriever, 'string');
      }
    }
  });

  test('an event posted over HTTP changes that user’s next recommendation', async () => {
    const ask = async () =>
      (await call(s.url, 'POST', '/v1/recommend', { user: 'u002', scenario: 'news', n: 10 })).body.items.map(
        (x: { item: string }) => x.item as string,
      );
    const score = async (item: string) =>
      (await call(s.url, 'GET', `/v1/explain?user=u002&item=${item}`)).body.score as number;
    const before = await ask();
    // u002's tastes do not include science; three shares of science stories are a strong signal
    const shared = ['news-science-1', 'news-science-2', 'news-science-4'];
    const unshared = ['news-science-3', 'news-science-5', 'news-science-6'];
    const scoresBefore = await Promise.all(unshared.map(score));
    let k = 0;
    for (const item of shared) {
      const r = await call(s.url, 'POST', '/v1/events', {
        id: `rt-${++k}`,
        user: 'u002',
        item,
        scenario: 'news',
        type: 'share',
        ts: Date.now(),
        context: { device: 'desktop' },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.inserted, 1);
    }
    const afterIds = await ask();
    assert.notDeepEqual(afterIds, before, 'the list changed');
    for (const item of shared)
      assert.ok(!afterIds.includes(item), `${item} was consumed: not recommended again`);
    const scoresAfter = await Promise.all(unshared.map(score));
    unshared.forEach((item, i) => {
      assert.ok(scoresAfter[i]! > scoresBefore[i]!, `${item}: ${scoresBefore[i]} -> ${scoresAfter[i]}`);
    });
  });

  test('events are idempotent on id', async () => {
    const ev = {
      id: 'idem-1',
      user: 'u003',
      item: 'shop-rock-1',
      scenario: 'shop',
      type: 'view',
      ts: Date.now(),
    };
    const first = await call(s.url, 'POST', '/v1/events', ev);
    assert.deepEqual([first.status, first.body.inserted], [200, 1]);
    const count = await s.rt.store.events.count();
    const again = await call(s.url, 'POST', '/v1/events/batch', { events: [ev, ev] });
    assert.equal(again.status, 200);
    assert.equal(again.body.inserted, 0);
    assert.equal(await s.rt.store.events.count(), count);
  });

  test('items: upsert, get, similar, delete', async () => {
    const item = {
      id: 'shop-new-bass',
      scenario: 'shop',
      title: 'Five-string electric bass guitar',
      tags: ['bass', 'guitar', 'rock'],
      image: { caption: 'a black bass guitar on a stand', visualTags: ['bass', 'guitar'] },
    };
    assert.equal((await call(s.url, 'PUT', `/v1/items/${item.id}`, item)).status, 200);
    assert.equal((await call(s.url, 'GET', `/v1/items/${item.id}`)).body.title, item.title);
    const similar = await call(s.url, 'GET', `/v1/items/${item.id}/similar?n=5`);
    assert.equal(similar.status, 200, JSON.stringify(similar.body));
    assert.equal(similar.body.items.length, 5);
    assert.ok(!similar.body.items.some((x: { item: string }) => x.item === item.id), 'not similar to itself');
    const batch = await call(s.url, 'POST', '/v1/items/batch', {
      items: [{ id: 'news-new-1', scenario: 'news', title: 'Orchestra tours the moon base' }],
    });
    assert.equal(batch.body.upserted, 1);
    assert.equal((await call(s.url, 'DELETE', `/v1/items/${item.id}`)).status, 200);
    assert.equal((await call(s.url, 'GET', `/v1/items/${item.id}`)).body.error.code, 'UNKNOWN_ITEM');
    const recs = await call(s.url, 'POST', '/v1/recommend', { user: 'u001', scenario: 'shop', n: 30 });
    assert.ok(
      !recs.body.items.some((x: { item: string }) => x.item === item.id),
      'a deleted item is never recommended',
    );
  });

  test('profile, history and the 2-D map of a user', async () => {
    const profile = (await call(s.url, 'GET', '/v1/users/u001/profile')).body;
    assert.ok(profile.fused.length >= 1);
    for (const i of profile.fused) assert.equal(typeof i.label, 'string');
    const history = (await call(s.url, 'GET', '/v1/users/u001/history?limit=5')).body;
    assert.equal(history.events.length, 5);
    const map = (await call(s.url, 'GET', '/v1/users/u001/map')).body;
    assert.equal(map.method, 'pca');
    assert.ok(map.items.length >= 10);
    assert.ok(map.interests.length >= 1);
    const scenarios = new Set(map.items.map((p: { scenario: string }) => p.scenario));
    assert.ok(scenarios.size >= 2, 'the map spans scenarios');
    for (const p of [...map.items, ...map.interests]) assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y));
    const explain = (await call(s.url, 'GET', `/v1/explain?user=u001&item=${map.items[0].id}`)).body;
    assert.ok(Number.isFinite(explain.score));
  });

  test('deleting a user erases them', async () => {
    const before = (await call(s.url, 'GET', '/v1/users/u010')).body;
    assert.ok(before.events > 0);
    const del = await call(s.url, 'DELETE', '/v1/users/u010');
    assert.equal(del.status, 200);
    assert.ok(del.body.removed >= before.events);
    assert.equal((await call(s.url, 'GET', '/v1/users/u010')).body.error.code, 'UNKNOWN_USER');
    assert.equal((await s.rt.store.events.ofUser('u010')).length, 0);
  });

  test('the system page has counts, versions and latency percentiles', async () => {
    const sys = (await call(s.url, 'GET', '/v1/system')).body;
    assert.ok(sys.counts.items >= 240);
    assert.equal(typeof sys.versions.encoder, 'string');
    const rec = sys.latency.routes.find((r: { route: string }) => r.route === 'POST /v1/recommend');
    assert.ok(rec.count >= 4 && rec.p99 >= rec.p50);
  });
});
