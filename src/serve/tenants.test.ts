/**
 * Two tenants on one server, each with its own store and real engine (the runtime `serve` opens,
 * without an encoder): what one tenant's keys and tokens see and change, the other's never do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { buildServer } from './app.ts';
import { sha256Hex } from './auth.ts';
import { openRuntime, type Runtime } from './runtime.ts';

const KEYS = { aAdmin: 'tenant-a-admin', aRead: 'tenant-a-read', bAdmin: 'tenant-b-admin' };
const T0 = Date.UTC(2024, 0, 1);

describe('tenants', () => {
  let dir: string;
  let config: Config;
  let rt: Runtime;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-tenants-'));
    for (const t of ['a', 'b']) {
      const s = new SqliteStore(join(dir, `${t}.db`));
      await s.scenarios.upsert([{ id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false }]);
      await s.close();
    }
    config = parseConfig({
      store: { url: `sqlite://${join(dir, 'unused.db')}` },
      server: {
        rateLimitPerMinute: 0,
        tokenSecret: 's'.repeat(40),
        tenants: [
          {
            id: 'acme',
            store: { url: `sqlite://${join(dir, 'a.db')}` },
            adminKeyHashes: [sha256Hex(KEYS.aAdmin)],
            readKeyHashes: [sha256Hex(KEYS.aRead)],
          },
          { id: 'globex', store: { url: join(dir, 'b.db') }, adminKeyHashes: [sha256Hex(KEYS.bAdmin)] },
        ],
      },
      engine: { rankCacheSeconds: 0 },
      seq: { enabled: false },
    });
    rt = await openRuntime(config, { encoder: null });
    app = await buildServer(rt.tenants, config);

    const as = (key: string) => ({ 'x-api-key': key });
    const put = (key: string, id: string, title: string) =>
      app.inject({
        method: 'PUT',
        url: `/v1/items/${id}`,
        headers: as(key),
        payload: { id, scenario: 'shop', title },
      });
    const event = (key: string, id: string, user: string, itemId: string, ts: number) =>
      app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: as(key),
        payload: { id, user, item: itemId, scenario: 'shop', type: 'purchase', ts },
      });
    for (const [key, prefix, n] of [
      [KEYS.aAdmin, 'a', 6],
      [KEYS.bAdmin, 'b', 4],
    ] as const) {
      for (let i = 0; i < n; i++)
        assert.equal((await put(key, `${prefix}${i}`, `${prefix} item ${i}`)).statusCode, 200);
      // the same item id in both tenants, with each tenant's own title
      assert.equal((await put(key, 'shared', `${prefix}'s shared item`)).statusCode, 200);
      for (let u = 0; u < 3; u++) {
        for (let i = 0; i < 3; i++) {
          const r = await event(
            key,
            `${prefix}-e${u}-${i}`,
            `${prefix}-user${u}`,
            `${prefix}${(u + i) % n}`,
            T0 + i,
          );
          assert.equal(r.statusCode, 200, r.body);
        }
      }
      // the same user id in both tenants
      assert.equal((await event(key, `${prefix}-same`, 'same-user', 'shared', T0)).statusCode, 200);
    }
  });
  after(async () => {
    await app.close();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (key: string, url: string) =>
    app.inject({ url, headers: { authorization: `Bearer ${key}` } });

  test("each tenant's keys list only its own items and users", async () => {
    const aItems = (await get(KEYS.aRead, '/v1/items')).json().items.map((i: { id: string }) => i.id);
    const bItems = (await get(KEYS.bAdmin, '/v1/items')).json().items.map((i: { id: string }) => i.id);
    assert.deepEqual(aItems, ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'shared']);
    assert.deepEqual(bItems, ['b0', 'b1', 'b2', 'b3', 'shared']);
    assert.equal((await get(KEYS.aRead, '/v1/items/shared')).json().title, "a's shared item");
    assert.equal((await get(KEYS.bAdmin, '/v1/items/shared')).json().title, "b's shared item");
    assert.equal((await get(KEYS.aRead, '/v1/items/b0')).json().error.code, 'UNKNOWN_ITEM');
    const users = async (key: string) =>
      (await get(key, '/v1/users')).json().users.map((u: { id: string }) => u.id);
    assert.deepEqual(await users(KEYS.aRead), ['a-user0', 'a-user1', 'a-user2', 'same-user']);
    assert.deepEqual(await users(KEYS.bAdmin), ['b-user0', 'b-user1', 'b-user2', 'same-user']);
    assert.equal((await get(KEYS.aRead, '/v1/users/b-user0')).json().error.code, 'UNKNOWN_USER');
  });

  test("a user's history, profile and recommendations come from their tenant only", async () => {
    const history = async (key: string) =>
      (await get(key, '/v1/users/same-user/history')).json().events.map((e: { id: string }) => e.id);
    assert.deepEqual(await history(KEYS.aRead), ['a-same']);
    assert.deepEqual(await history(KEYS.bAdmin), ['b-same']);
    for (const [key, prefix] of [
      [KEYS.aRead, 'a'],
      [KEYS.bAdmin, 'b'],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/recommend',
        headers: { 'x-api-key': key },
        payload: { user: `${prefix}-user0`, scenario: 'shop', n: 20 },
      });
      assert.equal(r.statusCode, 200, r.body);
      const items: string[] = r.json().items.map((i: { item: string }) => i.item);
      assert.ok(items.length > 0);
      for (const id of items) assert.ok(id === 'shared' || id.startsWith(prefix), `${prefix} got ${id}`);
      const profile = await get(key, `/v1/users/${prefix}-user0/profile`);
      assert.equal(profile.statusCode, 200, profile.body);
      assert.doesNotMatch(profile.body, prefix === 'a' ? /"b\d"/ : /"a\d"/);
    }
  });

  test("the system page counts and times only its tenant's requests", async () => {
    await get(KEYS.bAdmin, '/v1/items/b1/similar');
    const a = (await get(KEYS.aRead, '/v1/system')).json();
    const b = (await get(KEYS.bAdmin, '/v1/system')).json();
    assert.equal(a.counts.items, 7);
    assert.equal(b.counts.items, 5);
    assert.equal(a.counts.events, 10);
    assert.equal(b.counts.events, 10);
    const routes = (s: { latency: { routes: { route: string }[] } }) => s.latency.routes.map((r) => r.route);
    assert.ok(routes(b).includes('GET /v1/items/:id/similar'));
    assert.ok(!routes(a).includes('GET /v1/items/:id/similar'));
  });

  test("a key of one tenant cannot change the other's items, users or events", async () => {
    const as = { 'x-api-key': KEYS.aAdmin };
    assert.equal((await app.inject({ method: 'DELETE', url: '/v1/items/b0', headers: as })).statusCode, 404);
    assert.equal(
      (await app.inject({ method: 'DELETE', url: '/v1/users/b-user0', headers: as })).statusCode,
      404,
    );
    const foreign = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: as,
      payload: { id: 'x1', user: 'b-user0', item: 'b0', scenario: 'shop', type: 'view', ts: T0 },
    });
    assert.equal(foreign.json().error.code, 'UNKNOWN_ITEM');
    // erasing the shared user id in tenant a leaves tenant b's
    assert.equal(
      (await app.inject({ method: 'DELETE', url: '/v1/users/same-user', headers: as })).statusCode,
      200,
    );
    assert.equal((await get(KEYS.bAdmin, '/v1/users/same-user')).statusCode, 200);
    assert.equal((await get(KEYS.bAdmin, '/v1/items/b0')).statusCode, 200);
    const b = rt.tenants.get('globex')!.store;
    assert.equal(await b.events.count(), 10);
    assert.deepEqual((await b.events.ofUser('b-user0')).map((e) => e.id).sort(), [
      'b-e0-0',
      'b-e0-1',
      'b-e0-2',
    ]);
  });

  test("a token minted by one tenant's key reads that tenant only", async () => {
    const minted = await app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { 'x-api-key': KEYS.aRead },
      payload: { user: 'b-user0' },
    });
    const token = minted.json().token;
    // the token is for user b-user0 of tenant acme, where no such user exists
    assert.equal((await get(token, '/v1/users/b-user0')).json().error.code, 'UNKNOWN_USER');
    const items = (await get(token, '/v1/items')).json().items.map((i: { id: string }) => i.id);
    assert.ok(items.every((id: string) => id === 'shared' || id.startsWith('a')));
  });

  test('with tenants every route but the public ones needs a key', async () => {
    assert.equal((await app.inject({ url: '/v1/items' })).json().error.code, 'UNAUTHORIZED');
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
  });

  test('tenants that share a store or a key are refused at load', () => {
    const t = (id: string, url: string, key: string) => ({
      id,
      store: { url },
      adminKeyHashes: [sha256Hex(key)],
    });
    assert.throws(() => parseConfig({ server: { tenants: [t('a', 'x.db', 'k1'), t('b', 'x.db', 'k2')] } }), {
      code: 'INVALID_CONFIG',
      field: 'server.tenants[1].store.url',
    });
    assert.throws(() => parseConfig({ server: { tenants: [t('a', 'x.db', 'k1'), t('b', 'y.db', 'k1')] } }), {
      code: 'INVALID_CONFIG',
      field: 'server.tenants[1].adminKeyHashes[0]',
    });
    assert.throws(
      () => parseConfig({ server: { adminKeyHashes: [sha256Hex('k0')], tenants: [t('a', 'x.db', 'k1')] } }),
      { code: 'INVALID_CONFIG', field: 'server.adminKeyHashes' },
    );
  });
});
