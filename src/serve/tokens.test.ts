/**
 * User tokens: signed, short-lived, one user. Unit cases on the signer, then every route a browser
 * might call with a token, own user and another, over HTTP.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../config/load.ts';
import { RecError } from '../core/errors.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { buildServer } from './app.ts';
import { sha256Hex } from './auth.ts';
import { fakeEngine } from './fake-engine.ts';
import { TokenSigner } from './tokens.ts';

const SECRET = 'a-token-secret-of-at-least-32-characters';
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof RecError);
    return e.code;
  }
};

describe('TokenSigner', () => {
  test('a minted token verifies to its claims', () => {
    const s = new TokenSigner(SECRET, () => 1_000_000);
    const { token, expiresAt } = s.mint({ user: 'ünï', tenant: 'default', scope: 'read' }, 60);
    assert.equal(expiresAt, 1060);
    assert.deepEqual(s.verify(token), { user: 'ünï', tenant: 'default', scope: 'read', exp: 1060 });
  });

  test('expired, forged, tampered and malformed tokens are refused with their codes', () => {
    let now = 1_000_000;
    const s = new TokenSigner(SECRET, () => now);
    const { token } = s.mint({ user: 'u1', tenant: 'default', scope: 'read' }, 60);
    const [prefix, claims, mac] = token.split('.') as [string, string, string];
    // claims changed to another user under the same MAC
    const other = Buffer.from(JSON.stringify({ u: 'u2', t: 'default', s: 'read', exp: 1060 })).toString(
      'base64url',
    );
    assert.equal(
      codeOf(() => s.verify(`${prefix}.${other}.${mac}`)),
      'TOKEN_INVALID',
    );
    // signed with another secret
    const forged = new TokenSigner('another-secret-of-at-least-32-chars!!', () => now).mint(
      { user: 'u1', tenant: 'default', scope: 'events' },
      60,
    ).token;
    assert.equal(
      codeOf(() => s.verify(forged)),
      'TOKEN_INVALID',
    );
    assert.equal(
      codeOf(() => s.verify(`${prefix}.${claims}.${mac.slice(0, -2)}`)),
      'TOKEN_INVALID',
    );
    assert.equal(
      codeOf(() => s.verify('fr1.')),
      'TOKEN_INVALID',
    );
    assert.equal(
      codeOf(() => s.verify('fr1.not-json.x')),
      'TOKEN_INVALID',
    );
    now = 1_060_000;
    assert.equal(
      codeOf(() => s.verify(token)),
      'TOKEN_EXPIRED',
    );
  });

  test('a short secret is refused', () => {
    assert.equal(
      codeOf(() => new TokenSigner('short')),
      'INVALID_CONFIG',
    );
  });
});

describe('user tokens over HTTP', () => {
  const ADMIN = 'server-admin-key';
  const READ = 'server-read-key';
  let dir: string;
  let store: SqliteStore;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-tokens-'));
    store = new SqliteStore(join(dir, 't.db'));
    await store.scenarios.upsert([{ id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false }]);
    await store.items.upsert([{ id: 'a', scenario: 'shop', title: 'Guitar strings', available: true }]);
    const ev = (id: string, user: string) => ({ id, user, item: 'a', scenario: 'shop', type: 'view', ts: 1 });
    await fakeEngine(store).addEvents([ev('e1', 'alice'), ev('e2', 'bob')]);
    const config = parseConfig({
      server: {
        adminKeyHashes: [sha256Hex(ADMIN)],
        readKeyHashes: [sha256Hex(READ)],
        rateLimitPerMinute: 0,
        authFailuresPerMinute: 0,
        tokenSecret: SECRET,
        tokenTtlSeconds: 600,
      },
    });
    app = await buildServer({ engine: fakeEngine(store), store }, config);
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mint = async (key: string, body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/tokens', headers: { 'x-api-key': key }, payload: body });
  const tokenFor = async (user: string, scope = 'read') => {
    const r = await mint(scope === 'read' ? READ : ADMIN, { user, scope });
    assert.equal(r.statusCode, 200, r.body);
    return { authorization: `Bearer ${r.json().token}` };
  };

  test('a server read key mints a read token; an events token needs the admin key', async () => {
    const r = await mint(READ, { user: 'alice' });
    assert.equal(r.json().scope, 'read');
    assert.ok(r.json().expiresAt > Date.now() / 1000);
    assert.equal((await mint(READ, { user: 'alice', scope: 'events' })).json().error.code, 'FORBIDDEN');
    assert.equal((await mint(ADMIN, { user: 'alice', scope: 'events' })).statusCode, 200);
    assert.equal((await mint(READ, { user: 'alice', ttlSeconds: 601 })).json().error.field, 'ttlSeconds');
    assert.equal(
      (await app.inject({ method: 'POST', url: '/v1/tokens', payload: { user: 'a' } })).statusCode,
      401,
    );
  });

  test('a token reads its own user: recommend, explain, profile, summary, history, map; and the catalog', async () => {
    const alice = await tokenFor('alice');
    const ok = [
      { method: 'POST' as const, url: '/v1/recommend', payload: { user: 'alice', scenario: 'shop' } },
      { method: 'GET' as const, url: '/v1/explain?user=alice&item=a' },
      { method: 'GET' as const, url: '/v1/users/alice' },
      { method: 'GET' as const, url: '/v1/users/alice/profile' },
      { method: 'GET' as const, url: '/v1/users/alice/history' },
      { method: 'GET' as const, url: '/v1/scenarios' },
      { method: 'GET' as const, url: '/v1/items/a' },
      { method: 'GET' as const, url: '/v1/items' },
    ];
    for (const req of ok) {
      const r = await app.inject({ ...req, headers: alice });
      assert.equal(r.statusCode, 200, `${req.url}: ${r.body}`);
    }
    // the map needs item vectors this test server lacks: past the token check, it answers 503
    assert.equal((await app.inject({ url: '/v1/users/alice/map', headers: alice })).statusCode, 503);
  });

  test('a token never reads another user, lists users, reads the system page or mints tokens', async () => {
    const alice = await tokenFor('alice');
    const refused = [
      { method: 'POST' as const, url: '/v1/recommend', payload: { user: 'bob', scenario: 'shop' } },
      { method: 'POST' as const, url: '/v1/recommend', payload: { scenario: 'shop' } },
      { method: 'GET' as const, url: '/v1/explain?user=bob&item=a' },
      { method: 'GET' as const, url: '/v1/users/bob' },
      { method: 'GET' as const, url: '/v1/users/bob/profile' },
      { method: 'GET' as const, url: '/v1/users/bob/history' },
      { method: 'GET' as const, url: '/v1/users/bob/map' },
      { method: 'GET' as const, url: '/v1/users' },
      { method: 'GET' as const, url: '/v1/system' },
      { method: 'POST' as const, url: '/v1/tokens', payload: { user: 'bob' } },
      { method: 'DELETE' as const, url: '/v1/users/alice' },
    ];
    for (const req of refused) {
      const r = await app.inject({ ...req, headers: alice });
      assert.equal(r.statusCode, 403, `${req.method} ${req.url}: ${r.body}`);
      assert.equal(r.json().error.code, 'TOKEN_SCOPE', req.url);
    }
    assert.equal(await store.users.count(), 2);
  });

  test('experiments: a read key lists and reads them, only the admin key writes them, a token neither', async () => {
    const alice = await tokenFor('alice');
    const reads = ['/v1/experiments', '/v1/experiments/x'];
    for (const url of reads) {
      // past the key check, this test's engine runs no experiments: 404, not 401 or 403
      const r = await app.inject({ url, headers: { 'x-api-key': READ } });
      assert.equal(r.statusCode, 404, `${url}: ${r.body}`);
      assert.equal((await app.inject({ url, headers: alice })).json().error.code, 'TOKEN_SCOPE');
      assert.equal((await app.inject({ url })).statusCode, 401);
    }
    const body = {
      id: 'e',
      scenario: 'shop',
      kind: 'ab',
      variants: [
        { name: 'a', share: 1 },
        { name: 'b', share: 0 },
      ],
    };
    for (const url of ['/v1/experiments', '/v1/experiments/x/stop']) {
      const r = await app.inject({ method: 'POST', url, headers: { 'x-api-key': READ }, payload: body });
      assert.equal(r.statusCode, 403, `${url}: ${r.body}`);
      const admin = await app.inject({ method: 'POST', url, headers: { 'x-api-key': ADMIN }, payload: body });
      assert.equal(admin.statusCode, 404, `${url}: ${admin.body}`);
    }
  });

  test("only an events token records events, and only its own user's", async () => {
    const ev = (id: string, user: string) => ({ id, user, item: 'a', scenario: 'shop', type: 'view', ts: 2 });
    const post = (headers: Record<string, string>, payload: object, url = '/v1/events') =>
      app.inject({ method: 'POST', url, headers, payload });
    const reader = await tokenFor('alice');
    assert.equal((await post(reader, ev('r1', 'alice'))).json().error.code, 'TOKEN_SCOPE');
    const writer = await tokenFor('alice', 'events');
    assert.equal((await post(writer, ev('w1', 'alice'))).statusCode, 200);
    assert.equal((await post(writer, ev('w2', 'bob'))).json().error.code, 'TOKEN_SCOPE');
    const batch = { events: [ev('w3', 'alice'), ev('w4', 'bob')] };
    assert.equal((await post(writer, batch, '/v1/events/batch')).json().error.code, 'TOKEN_SCOPE');
    assert.deepEqual((await store.events.ofUser('alice')).map((e) => e.id).sort(), ['e1', 'w1']);
    assert.deepEqual(
      (await store.events.ofUser('bob')).map((e) => e.id),
      ['e2'],
    );
    // an events token still may not write the catalog
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/items/b',
      headers: writer,
      payload: { id: 'b', scenario: 'shop', title: 'Amp' },
    });
    assert.equal(put.json().error.code, 'TOKEN_SCOPE');
  });

  test('expired, forged and other-secret tokens get 401 with their codes', async () => {
    const past = new TokenSigner(SECRET, () => Date.now() - 3_600_000).mint(
      { user: 'alice', tenant: 'default', scope: 'read' },
      60,
    ).token;
    const other = new TokenSigner('z'.repeat(40)).mint(
      { user: 'alice', tenant: 'default', scope: 'read' },
      60,
    ).token;
    const strange = new TokenSigner(SECRET).mint(
      { user: 'alice', tenant: 'elsewhere', scope: 'read' },
      60,
    ).token;
    const cases: [string, string][] = [
      [past, 'TOKEN_EXPIRED'],
      [other, 'TOKEN_INVALID'],
      [strange, 'TOKEN_INVALID'],
      ['fr1.garbage', 'TOKEN_INVALID'],
    ];
    for (const [token, code] of cases) {
      const r = await app.inject({ url: '/v1/users/alice', headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.statusCode, 401, token);
      assert.equal(r.json().error.code, code, token);
    }
  });

  test('with no token secret, tokens are off: minting is 404 and a token is refused', async () => {
    const config = parseConfig({ server: { readKeyHashes: [sha256Hex(READ)], rateLimitPerMinute: 0 } });
    const off = await buildServer({ engine: fakeEngine(store), store }, config);
    try {
      const r = await off.inject({
        method: 'POST',
        url: '/v1/tokens',
        headers: { 'x-api-key': READ },
        payload: { user: 'alice' },
      });
      assert.equal(r.statusCode, 404);
      const token = new TokenSigner(SECRET).mint(
        { user: 'alice', tenant: 'default', scope: 'read' },
        60,
      ).token;
      const t = await off.inject({ url: '/v1/users/alice', headers: { authorization: `Bearer ${token}` } });
      assert.equal(t.json().error.code, 'TOKEN_INVALID');
    } finally {
      await off.close();
    }
  });
});
