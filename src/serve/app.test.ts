/**
 * Route unit tests: validation, errors, keys, limits and the OpenAPI document, against a tiny
 * in-test engine over a real SQLite store. The end-to-end tests in tests/ run the real engine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../config/load.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { buildServer } from './app.ts';
import { sha256Hex } from './auth.ts';
import { fakeEngine } from './fake-engine.ts';

const ADMIN = 'admin-secret-key';
const READ = 'browser-read-key';

describe('HTTP routes', () => {
  let dir: string;
  let store: SqliteStore;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-serve-'));
    store = new SqliteStore(join(dir, 't.db'));
    await store.scenarios.upsert([{ id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false }]);
    await store.items.upsert([
      { id: 'a', scenario: 'shop', title: 'Guitar strings', available: true },
      { id: 'b', scenario: 'shop', title: 'Kitchen knife', available: true },
    ]);
    const config = parseConfig({
      server: {
        adminKeyHashes: [sha256Hex(ADMIN)],
        readKeyHashes: [sha256Hex(READ)],
        bodyLimitBytes: 64 * 1024,
        rateLimitPerMinute: 0,
      },
    });
    app = await buildServer({ engine: fakeEngine(store), store }, config);
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = { authorization: `Bearer ${ADMIN}` };
  const read = { 'x-api-key': READ };

  test('health and readiness need no key', async () => {
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    const r = await app.inject({ url: '/ready' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().ready, true);
  });

  test('reads need a key, writes need the admin key', async () => {
    assert.equal((await app.inject({ url: '/v1/items/a' })).json().error.code, 'UNAUTHORIZED');
    assert.equal(
      (await app.inject({ url: '/v1/items/a', headers: { 'x-api-key': 'wrong' } })).statusCode,
      401,
    );
    assert.equal((await app.inject({ url: '/v1/items/a', headers: read })).json().title, 'Guitar strings');
    assert.equal((await app.inject({ url: '/v1/items/a', headers: admin })).statusCode, 200);
    const put = {
      method: 'PUT' as const,
      url: '/v1/items/c',
      payload: { id: 'c', scenario: 'shop', title: 'Amp' },
    };
    const forbidden = await app.inject({ ...put, headers: read });
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.json().error.code, 'FORBIDDEN');
    assert.equal((await app.inject({ ...put, headers: admin })).statusCode, 200);
    assert.equal((await store.items.get('c'))?.title, 'Amp');
  });

  test('a read key may ask for recommendations', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/recommend',
      headers: read,
      payload: { user: 'u1', scenario: 'shop', n: 2 },
    });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().items.length, 2);
  });

  test('errors name the field, use stable codes and carry no stack', async () => {
    const cases: [string, unknown, string, string][] = [
      ['/v1/recommend', { scenario: 'shop' }, 'INVALID_INPUT', 'user'],
      ['/v1/recommend', { user: 'u', scenario: 'nope' }, 'UNKNOWN_SCENARIO', 'scenario'],
      ['/v1/recommend', { user: 'u', scenario: 'shop', n: 0 }, 'INVALID_INPUT', 'n'],
      ['/v1/recommend', { user: 'u', scenario: 'shop', diversity: 2 }, 'INVALID_INPUT', 'diversity'],
      ['/v1/recommend', { user: 'u', scenario: 'shop', extra: 1 }, 'INVALID_INPUT', '(root)'],
      [
        '/v1/recommend',
        { user: 'u', scenario: 'shop', context: { device: 5 } },
        'INVALID_INPUT',
        'context.device',
      ],
    ];
    for (const [url, payload, code, field] of cases) {
      const r = await app.inject({ method: 'POST', url, headers: admin, payload: payload as object });
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      const body = r.json();
      assert.equal(body.error.code, code, JSON.stringify(payload));
      assert.equal(body.error.field, field, JSON.stringify(payload));
      assert.doesNotMatch(r.body, /at .*\.ts:\d+/);
    }
  });

  test('broken JSON, invalid UTF-8 and oversized bodies are rejected', async () => {
    const send = (payload: string | Buffer) =>
      app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { ...admin, 'content-type': 'application/json' },
        payload,
      });
    const broken = await send('{"id": "e1",');
    assert.equal(broken.statusCode, 400);
    assert.equal(broken.json().error.code, 'PARSE_ERROR');
    assert.equal(broken.json().error.field, 'body');
    const badUtf8 = await send(Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
    assert.equal(badUtf8.json().error.code, 'PARSE_ERROR');
    const huge = await send(JSON.stringify({ id: 'x'.repeat(100 * 1024) }));
    assert.equal(huge.statusCode, 413);
    assert.equal(huge.json().error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('an unexpected engine failure is a 500 INTERNAL with a generic message, never the stack', async () => {
    const broken = fakeEngine(store);
    broken.similarItems = async () => {
      throw new TypeError('cannot read x of undefined at /srv/fusionrec/src/rank/secret.ts:12');
    };
    const app2 = await buildServer(
      { engine: broken, store },
      parseConfig({ server: { rateLimitPerMinute: 0 } }),
    );
    try {
      const r = await app2.inject({ url: '/v1/items/a/similar' });
      assert.equal(r.statusCode, 500);
      assert.deepEqual(r.json(), { error: { code: 'INTERNAL', message: 'Internal error' } });
    } finally {
      await app2.close();
    }
  });

  test('the dashboard is served with a strict content security policy', async () => {
    const r = await app.inject({ url: '/web/index.html' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal((await app.inject({ url: '/web/../package.json' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/' })).headers.location, '/web/index.html');
  });

  test('an unknown route is a JSON 404', async () => {
    const r = await app.inject({ url: '/v1/nothing', headers: admin });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.code, 'NOT_FOUND');
  });

  test('the OpenAPI document lists every route with its request schema', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    const rec = doc.paths['/v1/recommend'].post;
    // `user` may be left out when `context.session` names an anonymous session
    const body = rec.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required.sort(), ['scenario']);
    assert.match(body.properties.user.description, /context\.session/);
    assert.ok(doc.paths['/v1/items/{id}'].put);
    assert.ok(doc.paths['/v1/events/batch'].post);
    assert.equal(doc.paths['/v1/items/{id}'].get.parameters[0].name, 'id');
  });

  test('the system page reports counts and latency percentiles', async () => {
    const r = (await app.inject({ url: '/v1/system', headers: read })).json();
    assert.equal(r.counts.items >= 2, true);
    assert.ok(r.latency.routes.some((x: { route: string }) => x.route === 'POST /v1/recommend'));
  });
});

describe('rate limit', () => {
  test('the n+1-th request in a minute gets 429 RATE_LIMITED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusionrec-serve-'));
    const store = new SqliteStore(join(dir, 't.db'));
    const app = await buildServer(
      { engine: fakeEngine(store), store },
      parseConfig({ server: { rateLimitPerMinute: 3 } }),
    );
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await app.inject({ url: '/v1/scenarios' })).statusCode);
      assert.deepEqual(codes, [200, 200, 200, 429]);
      assert.equal((await app.inject({ url: '/v1/scenarios' })).json().error.code, 'RATE_LIMITED');
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pseudonymisation at the edge', () => {
  test('user ids in bodies and paths are replaced by their HMAC before they reach the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusionrec-serve-'));
    const store = new SqliteStore(join(dir, 't.db'));
    await store.scenarios.upsert([{ id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false }]);
    await store.items.upsert([{ id: 'a', scenario: 'shop', title: 'Guitar strings', available: true }]);
    const config = parseConfig({
      privacy: { pseudonymise: true, secret: 'a-long-enough-test-secret' },
      server: { rateLimitPerMinute: 0 },
    });
    const app = await buildServer({ engine: fakeEngine(store), store }, config);
    try {
      const ev = {
        id: 'e1',
        user: 'alice@example.com',
        item: 'a',
        scenario: 'shop',
        type: 'view',
        ts: Date.now(),
      };
      assert.equal((await app.inject({ method: 'POST', url: '/v1/events', payload: ev })).statusCode, 200);
      const users = (await store.users.list()).map((u) => u.id);
      assert.equal(users.length, 1);
      assert.match(users[0]!, /^p_[0-9a-f]{32}$/);
      assert.equal(JSON.stringify(await store.events.ofUser(users[0]!)).includes('alice'), false);
      const byRawId = await app.inject({ url: '/v1/users/alice@example.com' });
      assert.equal(byRawId.statusCode, 200);
      assert.equal(byRawId.json().id, users[0]);
      assert.equal(
        (await app.inject({ method: 'DELETE', url: '/v1/users/alice@example.com' })).statusCode,
        200,
      );
      assert.equal(await store.users.count(), 0);
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
