/**
 * Business controls over HTTP: filters, boosts and promotions on POST /v1/recommend, the named
 * filter routes, bad input (400 naming the field and column; nothing stored), and the OpenAPI
 * document, on the real engine over a small catalog with attributes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../src/config/load.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { buildServer } from '../src/serve/app.ts';
import { sha256Hex } from '../src/serve/auth.ts';
import { type ControlsCatalog, controlsCatalog } from './controls-fixture.ts';

const ADMIN = 'controls-admin-key';
const READ = 'controls-read-key';

describe('HTTP: filters, boosts, promotions, named filters', () => {
  let c: ControlsCatalog;
  let engine: Engine;
  let app: FastifyInstance;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const read = { 'x-api-key': READ };

  before(async () => {
    c = await controlsCatalog(3, { items: 80 });
    const config = parseConfig({
      server: { adminKeyHashes: [sha256Hex(ADMIN)], readKeyHashes: [sha256Hex(READ)], rateLimitPerMinute: 0 },
    });
    engine = await createEngine(config, { store: c.store, encoder: null, onWarning: () => {} });
    app = await buildServer({ engine, store: c.store }, config);
  });
  after(async () => {
    await app.close();
    await engine.close();
    await c.close();
  });

  const recommend = (body: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/v1/recommend',
      headers: read,
      payload: { user: 'u1', scenario: 'shop', ...body },
    });
  const byId = () => new Map(c.items.map((it) => [it.id, it]));

  test('a filter, a boost and a promotion in one request', async () => {
    const r = await recommend({
      n: 8,
      filter: 'price < 60 and not purchase within 30d',
      boosts: [{ when: 'brand == "acme"', multiply: 2, add: 1 }],
      promote: { filter: 'tags contains "eco"', slots: 2 },
    });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.equal(body.items.length, 8);
    const items = byId();
    for (const x of body.items) assert.ok((items.get(x.item)!.attributes?.price as number) < 60, x.item);
    const promoted = body.items.filter((x: { promoted?: boolean }) => x.promoted);
    assert.equal(promoted.length, 2);
    for (const x of promoted) assert.ok(items.get(x.item)!.tags?.includes('eco'));
    assert.deepEqual(
      body.items.slice(0, 2).map((x: { promoted?: boolean }) => x.promoted),
      [true, true],
    );
    const acme = body.items.find((x: { item: string }) => items.get(x.item)!.attributes?.brand === 'acme');
    assert.ok(acme, 'an acme item in the list');
    assert.equal(acme.reasons.boosts[0].when, 'brand == "acme"');
    assert.equal(acme.reasons.boosts[0].multiply, 2);
  });

  test('the JSON form of a filter', async () => {
    const r = await recommend({ n: 5, filter: { field: 'category', op: 'in', value: ['Knives', 'Pans'] } });
    assert.equal(r.statusCode, 200, r.body);
    const items = byId();
    for (const x of r.json().items)
      assert.ok(['Knives', 'Pans'].includes(items.get(x.item)!.category!.at(-1)!));
  });

  test('bad filters are a 400 naming the field and the column', async () => {
    const cases: [Record<string, unknown>, string, number | undefined][] = [
      [{ filter: 'price < 20 and (' }, 'filter', 17],
      [{ filter: 'size > 3' }, 'filter', 1],
      [{ filter: 'brand == 3' }, 'filter', 10],
      [{ boosts: [{ when: 'price == "x"', add: 1 }] }, 'boosts[0].when', 10],
      [{ promote: { filter: 'tags', slots: 1 } }, 'promote.filter', 1],
      [{ filter: `${'not '.repeat(40)}true` }, 'filter', undefined],
      [{ filter: 'a'.repeat(2001) }, 'filter', undefined],
      [{ filterName: 'nope' }, 'filterName', undefined],
    ];
    for (const [extra, field, column] of cases) {
      const r = await recommend(extra);
      assert.equal(r.statusCode, 400, r.body);
      const e = r.json().error;
      assert.equal(e.code, 'INVALID_INPUT');
      assert.equal(e.field, field, e.message);
      if (column !== undefined) assert.match(e.message, new RegExp(`column ${column}:`));
    }
  });

  test('named filters: PUT, GET, use, DELETE; a bad one is refused and nothing is stored', async () => {
    const put = (name: string, payload: unknown, headers: Record<string, string> = admin) =>
      app.inject({ method: 'PUT', url: `/v1/filters/${name}`, headers, payload: payload as object });
    assert.equal((await put('cheap', { filter: 'price < 30' }, read)).statusCode, 403);
    const ok = await put('cheap', { filter: 'price < 30', description: 'under 30' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().name, 'cheap');
    const bad = await put('broken', { filter: 'price < 30 or colour == "red"' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.field, 'filter');
    assert.match(bad.json().error.message, /column 15: unknown field "colour"/);
    assert.equal((await put('bad name', { filter: 'true' })).statusCode, 400);
    assert.equal((await put('x', { filter: 'true', extra: 1 })).statusCode, 400);
    assert.equal((await app.inject({ url: '/v1/filters/broken', headers: read })).statusCode, 404);
    const list = await app.inject({ url: '/v1/filters', headers: read });
    assert.deepEqual(
      list.json().filters.map((f: { name: string }) => f.name),
      ['cheap'],
    );
    assert.equal((await app.inject({ url: '/v1/filters/cheap', headers: read })).json().filter, 'price < 30');

    const r = await recommend({ n: 5, filterName: 'cheap', promote: { filterName: 'cheap', slots: 1 } });
    assert.equal(r.statusCode, 200, r.body);
    const items = byId();
    for (const x of r.json().items) assert.ok((items.get(x.item)!.attributes?.price as number) < 30);
    assert.equal(r.json().items[0].promoted, true);

    assert.equal(
      (await app.inject({ method: 'DELETE', url: '/v1/filters/cheap', headers: admin })).statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ method: 'DELETE', url: '/v1/filters/cheap', headers: admin })).statusCode,
      404,
    );
    assert.equal((await recommend({ filterName: 'cheap' })).statusCode, 400);
  });

  test('the OpenAPI document has the new request fields and routes', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.ok(doc.paths['/v1/filters']?.get);
    assert.ok(doc.paths['/v1/filters/{name}']?.put);
    assert.ok(doc.paths['/v1/filters/{name}']?.delete);
    const text = JSON.stringify(doc.paths['/v1/recommend'].post);
    for (const f of ['filter', 'filterName', 'boosts', 'promote', 'placement'])
      assert.ok(text.includes(`"${f}"`), f);
  });
});
