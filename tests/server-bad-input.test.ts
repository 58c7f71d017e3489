/**
 * Every bad input of the foundation issue's list, sent over real HTTP: a 4xx with a stable code
 * that names the field, and the store is unchanged afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256Hex } from '../src/serve/auth.ts';
import { call, type DemoServer, startDemoServer } from './server-fixture.ts';

const ADMIN = 'e2e-admin-key-0123456789';
const READ = 'e2e-read-key-0123456789';

const good = (over: Record<string, unknown> = {}) => ({
  id: `bad-${Math.random().toString(36).slice(2)}`,
  user: 'u001',
  item: 'music-rock-1',
  scenario: 'music',
  type: 'play',
  ts: Date.now() - 1000,
  ...over,
});

describe('bad input over HTTP', () => {
  let s: DemoServer;
  before(async () => {
    s = await startDemoServer({
      server: {
        adminKeyHashes: [sha256Hex(ADMIN)],
        readKeyHashes: [sha256Hex(READ)],
        bodyLimitBytes: 256 * 1024,
      },
    });
  });
  after(async () => {
    await s?.close();
  });

  // [name, method, path, body (string = raw), expected status, code, field]
  const cases: [string, string, string, unknown, number, string, string][] = [
    ['broken JSON', 'POST', '/v1/events', '{"id": "e1", "user":', 400, 'PARSE_ERROR', 'body'],
    [
      'NaN literal',
      'POST',
      '/v1/events',
      '{"id":"e1","user":"u1","item":"music-rock-1","scenario":"music","type":"play","ts":1,"value":NaN}',
      400,
      'PARSE_ERROR',
      'body',
    ],
    ['missing user', 'POST', '/v1/events', { ...good(), user: undefined }, 400, 'INVALID_INPUT', 'user'],
    ['missing ts', 'POST', '/v1/events', { ...good(), ts: undefined }, 400, 'INVALID_INPUT', 'ts'],
    [
      'Infinity value',
      'POST',
      '/v1/events',
      JSON.stringify(good()).replace(/}$/, ',"value":1e999}'),
      400,
      'INVALID_INPUT',
      'value',
    ],
    ['NaN as a string', 'POST', '/v1/events', good({ value: 'NaN' }), 400, 'INVALID_INPUT', 'value'],
    ['negative timestamp', 'POST', '/v1/events', good({ ts: -5 }), 400, 'INVALID_INPUT', 'ts'],
    [
      'far-future timestamp',
      'POST',
      '/v1/events',
      good({ ts: Date.now() + 365 * 86400_000 }),
      400,
      'INVALID_INPUT',
      'ts',
    ],
    ['fractional timestamp', 'POST', '/v1/events', good({ ts: 1.5 }), 400, 'INVALID_INPUT', 'ts'],
    [
      'unknown scenario',
      'POST',
      '/v1/events',
      good({ scenario: 'podcasts' }),
      400,
      'UNKNOWN_SCENARIO',
      'scenario',
    ],
    ['unknown item', 'POST', '/v1/events', good({ item: 'no-such-item' }), 404, 'UNKNOWN_ITEM', 'item'],
    [
      'item of another scenario',
      'POST',
      '/v1/events',
      good({ item: 'shop-rock-1' }),
      400,
      'INVALID_INPUT',
      'scenario',
    ],
    [
      'lone surrogate',
      'POST',
      '/v1/events',
      '{"id":"e1","user":"u\\ud800x","item":"music-rock-1","scenario":"music","type":"play","ts":1}',
      400,
      'INVALID_INPUT',
      'user',
    ],
    ['NUL in an id', 'POST', '/v1/events', good({ user: 'a\u0000b' }), 400, 'INVALID_INPUT', 'user'],
    ['bad event type', 'POST', '/v1/events', good({ type: 'DROP TABLE' }), 400, 'INVALID_INPUT', 'type'],
    ['unknown key', 'POST', '/v1/events', good({ admin: true }), 400, 'INVALID_INPUT', '(root)'],
    [
      'huge text field',
      'POST',
      '/v1/events',
      good({ text: 'x'.repeat(25_000) }),
      400,
      'INVALID_INPUT',
      'text',
    ],
    [
      'body over the limit',
      'POST',
      '/v1/events',
      good({ text: 'x'.repeat(300_000) }),
      413,
      'PAYLOAD_TOO_LARGE',
      'body',
    ],
    [
      'batch of 1001',
      'POST',
      '/v1/events/batch',
      { events: Array.from({ length: 1001 }, () => good()) },
      400,
      'INVALID_INPUT',
      'events',
    ],
    ['empty batch', 'POST', '/v1/events/batch', { events: [] }, 400, 'INVALID_INPUT', 'events'],
    [
      'bad event inside a batch',
      'POST',
      '/v1/events/batch',
      { events: [good(), good(), good(), good({ ts: -1 })] },
      400,
      'INVALID_INPUT',
      'events[3].ts',
    ],
    [
      'unknown scenario inside a batch',
      'POST',
      '/v1/events/batch',
      { events: [good(), good({ scenario: 'x' })] },
      400,
      'UNKNOWN_SCENARIO',
      'events[1].scenario',
    ],
    [
      'item: unknown scenario',
      'PUT',
      '/v1/items/i1',
      { id: 'i1', scenario: 'podcasts', title: 't' },
      400,
      'UNKNOWN_SCENARIO',
      'scenario',
    ],
    [
      'item: path and body ids differ',
      'PUT',
      '/v1/items/i1',
      { id: 'i2', scenario: 'shop', title: 't' },
      400,
      'INVALID_INPUT',
      'id',
    ],
    [
      'item: huge title',
      'PUT',
      '/v1/items/i1',
      { id: 'i1', scenario: 'shop', title: 't'.repeat(3000) },
      400,
      'INVALID_INPUT',
      'title',
    ],
    [
      'item: Infinity in a vector',
      'PUT',
      '/v1/items/i1',
      '{"id":"i1","scenario":"shop","image":{"vector":[1,1e999]}}',
      400,
      'INVALID_INPUT',
      'image.vector[1]',
    ],
    [
      'item: far-future createdAt',
      'PUT',
      '/v1/items/i1',
      { id: 'i1', scenario: 'shop', createdAt: 9e15 },
      400,
      'INVALID_INPUT',
      'createdAt',
    ],
    [
      'items batch: bad tag',
      'POST',
      '/v1/items/batch',
      { items: [{ id: 'i1', scenario: 'shop', tags: [5] }] },
      400,
      'INVALID_INPUT',
      'items[0].tags[0]',
    ],
    [
      'recommend: unknown scenario',
      'POST',
      '/v1/recommend',
      { user: 'u001', scenario: 'podcasts' },
      400,
      'UNKNOWN_SCENARIO',
      'scenario',
    ],
    [
      'recommend: n too large',
      'POST',
      '/v1/recommend',
      { user: 'u001', scenario: 'shop', n: 100000 },
      400,
      'INVALID_INPUT',
      'n',
    ],
    [
      'recommend: diversity NaN string',
      'POST',
      '/v1/recommend',
      { user: 'u001', scenario: 'shop', diversity: 'NaN' },
      400,
      'INVALID_INPUT',
      'diversity',
    ],
    [
      'similar: n not a number',
      'GET',
      '/v1/items/shop-rock-1/similar?n=NaN',
      undefined,
      400,
      'INVALID_INPUT',
      'n',
    ],
    ['similar: unknown item', 'GET', '/v1/items/nope/similar', undefined, 404, 'UNKNOWN_ITEM', 'id'],
    ['user: too-long id', 'GET', `/v1/users/${'u'.repeat(300)}`, undefined, 400, 'INVALID_INPUT', 'id'],
  ];

  test('each bad input gets a 4xx naming the field, and nothing changes', async () => {
    const before = await s.rt.store.stats();
    const itemsBefore = await s.rt.store.items.count();
    for (const [name, method, path, body, status, code, field] of cases) {
      const r = await call(s.url, method, path, body, ADMIN);
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code, name);
      assert.equal(r.body.error.field, field, name);
      assert.equal(typeof r.body.error.message, 'string', name);
      assert.doesNotMatch(
        JSON.stringify(r.body),
        /node_modules|\.ts:\d+|at async/,
        `${name}: no stack trace`,
      );
    }
    assert.deepEqual(await s.rt.store.stats(), before);
    assert.equal(await s.rt.store.items.count(), itemsBefore);
    assert.equal(await s.rt.store.items.get('i1'), undefined);
  });

  test('invalid UTF-8 in a body is rejected, not replaced', async () => {
    const before = await s.rt.store.events.count();
    const raw = Buffer.concat([
      Buffer.from('{"id":"utf8-1","user":"u'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('","item":"music-rock-1","scenario":"music","type":"play","ts":1}'),
    ]);
    const res = await fetch(`${s.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: raw,
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; field: string } };
    assert.deepEqual([body.error.code, body.error.field], ['PARSE_ERROR', 'body']);
    assert.equal(await s.rt.store.events.count(), before);
  });

  test('keys: none, unknown, read-only on a write, read-only on recommend', async () => {
    const ev = good();
    assert.equal((await call(s.url, 'POST', '/v1/events', ev)).body.error.code, 'UNAUTHORIZED');
    assert.equal((await call(s.url, 'POST', '/v1/events', ev, 'guess')).body.error.code, 'UNAUTHORIZED');
    const ro = await call(s.url, 'POST', '/v1/events', ev, READ);
    assert.deepEqual([ro.status, ro.body.error.code], [403, 'FORBIDDEN']);
    assert.equal((await call(s.url, 'DELETE', '/v1/users/u001', undefined, READ)).status, 403);
    assert.equal(await s.rt.store.events.hasEvent(ev.id), false);
    const rec = await call(s.url, 'POST', '/v1/recommend', { user: 'u001', scenario: 'music', n: 3 }, READ);
    assert.equal(rec.status, 200);
    assert.equal((await call(s.url, 'GET', '/v1/users/u001/profile', undefined, READ)).status, 200);
    assert.equal((await call(s.url, 'GET', '/v1/users/u001/profile')).status, 401);
    assert.equal((await call(s.url, 'GET', '/health')).status, 200, 'health needs no key');
  });
});
