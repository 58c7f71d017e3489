/**
 * Each failure the API fuzz suite found, as the request that showed it: the response now passes
 * every invariant (tests/fuzz/api-fuzz.ts), plus what the fix promises.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FuzzRequest, operationsOf, responseChecker } from './api-fuzz.ts';
import { FUZZ_KEYS, type Fuzzable, startFuzzTarget } from './fuzz-target.ts';

describe('API fuzz regressions', () => {
  let f: Fuzzable;
  before(async () => {
    f = await startFuzzTarget();
  });
  after(async () => {
    await f?.server.close();
  });

  /** sends one request of the operation `method path` and checks it against the invariants */
  const send = async (
    method: string,
    path: string,
    url: string,
    o: { headers?: Record<string, string>; payload?: string | Buffer; kind?: string } = {},
  ) => {
    const op = operationsOf(f.doc).find((x) => x.method === method && x.path === path);
    assert.ok(op, `${method} ${path} is documented`);
    const req: FuzzRequest = {
      op,
      kind: o.kind ?? 'regression',
      method,
      url,
      headers: o.headers ?? { authorization: `Bearer ${FUZZ_KEYS.admin}` },
      ...(o.payload !== undefined ? { payload: o.payload } : {}),
    };
    const before = f.target.writes();
    const res = await f.target.inject({
      method: method as 'GET',
      url,
      headers: req.headers,
      ...(o.payload !== undefined ? { payload: o.payload } : {}),
    });
    assert.equal(responseChecker(f.doc).check(req, res), undefined);
    if (res.statusCode >= 400) assert.equal(f.target.writes(), before, 'a rejected request wrote');
    return { status: res.statusCode, json: JSON.parse(res.body) };
  };

  test('an over-long path id is a short 400 naming the path, not an echo of the URL', async () => {
    const long = 'a'.repeat(1100);
    for (const method of ['GET', 'DELETE']) {
      const r = await send(method, '/v1/items/{id}', `/v1/items/${long}`);
      assert.equal(r.status, 400);
      assert.equal(r.json.error.code, 'INVALID_INPUT');
      assert.equal(r.json.error.field, 'path');
      assert.ok(!r.json.error.message.includes(long.slice(0, 300)), r.json.error.message);
    }
    const bad = await send('GET', '/v1/items/{id}', `/v1/items/%zz${'b'.repeat(2000)}`);
    assert.equal(bad.json.error.field, 'path');
    assert.ok(bad.json.error.message.length < 200, bad.json.error.message);
  });

  test('thousands of unknown query or body keys get a short message naming a few of them', async () => {
    const keys = Array.from({ length: 3000 }, (_, j) => `k${j}`);
    const r = await send('GET', '/v1/items', `/v1/items?limit=5&${keys.map((k) => `${k}=1`).join('&')}`);
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'INVALID_INPUT');
    assert.match(r.json.error.message, /unknown fields "k0", "k1", "k2", "k3", "k4" and 2995 more/);
    const body = Object.fromEntries([['user', 'u001'], ['scenario', 'shop'], ...keys.map((k) => [k, 1])]);
    const rec = await send('POST', '/v1/recommend', '/v1/recommend', {
      headers: { authorization: `Bearer ${FUZZ_KEYS.admin}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    assert.equal(rec.status, 400);
    assert.ok(rec.json.error.message.length < 200, rec.json.error.message);
    const one = await send('GET', '/v1/users', `/v1/users?${'z'.repeat(5000)}=1`);
    assert.ok(one.json.error.message.length < 200, one.json.error.message);
    assert.match(one.json.error.message, /^field "\(root\)": unknown field "z{64}…"$/);
  });

  test('an event type named "constructor" is an ordinary type: numeric weights, counted once on the map', async () => {
    const admin = { authorization: `Bearer ${FUZZ_KEYS.admin}`, 'content-type': 'application/json' };
    const event = {
      id: 'regression-constructor-1',
      user: 'regression-constructor',
      item: 'music-jazz-4',
      scenario: 'music',
      type: 'constructor',
      ts: Date.now() - 1000,
    };
    const ev = await send('POST', '/v1/events', '/v1/events', {
      headers: admin,
      payload: JSON.stringify(event),
    });
    assert.equal(ev.status, 200);
    const profile = await send('GET', '/v1/users/{id}/profile', '/v1/users/regression-constructor/profile');
    assert.equal(profile.status, 200);
    assert.equal(profile.json.fused[0].weight, 1);
    const map = await send('GET', '/v1/users/{id}/map', '/v1/users/regression-constructor/map');
    assert.equal(map.status, 200);
    assert.deepEqual(map.json.items[0].types, { constructor: 1 });
  });
});
