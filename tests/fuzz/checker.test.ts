/**
 * The fuzz suite's invariants can fail: each one flags a response that breaks it (built by hand
 * against a document of two routes), and passes one that keeps it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { buildOpenApi } from '../../src/serve/openapi.ts';
import { route } from '../../src/serve/route.ts';
import { type FuzzRequest, type FuzzTarget, fuzzApi, operationsOf, responseChecker } from './api-fuzz.ts';

const doc = buildOpenApi(
  [
    route({
      method: 'GET',
      url: '/v1/things/:id',
      summary: 'one thing',
      tag: 't',
      access: 'read',
      params: z.strictObject({ id: z.string() }),
      response: z.looseObject({ id: z.string(), n: z.number().int() }),
      async handler() {
        return {};
      },
    }),
    route({
      method: 'POST',
      url: '/v1/things',
      summary: 'make one',
      tag: 't',
      access: 'admin',
      body: z.strictObject({ id: z.string() }),
      async handler() {
        return {};
      },
    }),
  ],
  '0',
);
const checker = responseChecker(doc);
const [get, post] = operationsOf(doc);
const req = (kind = 'valid', op = get!): FuzzRequest => ({
  op,
  kind,
  method: op.method,
  url: '/',
  headers: {},
});
const res = (statusCode: number, body: unknown) => ({ statusCode, body: JSON.stringify(body), headers: {} });

describe('fuzz invariants', () => {
  test('the document is read: access, success status and schema per operation', () => {
    assert.equal(get!.access, 'read');
    assert.equal(post!.access, 'admin');
    assert.ok(get!.success.schema);
    assert.equal(post!.success.schema, undefined);
  });

  test('a response that keeps every invariant passes', () => {
    assert.equal(checker.check(req(), res(200, { id: 'a', n: 1, extra: true })), undefined);
    const e = { error: { code: 'UNKNOWN_ITEM', message: 'no item "a"', field: 'id' } };
    assert.equal(checker.check(req(), res(404, e)), undefined);
    assert.equal(checker.check(req('valid', post), res(200, { anything: 1 })), undefined);
  });

  test('each broken invariant is flagged', () => {
    const flagged: [string, ReturnType<typeof res>, FuzzRequest?][] = [
      ['a 500', res(500, { error: { code: 'INTERNAL', message: 'Internal error' } })],
      ['a 503 that is not "unavailable"', res(503, { error: { code: 'STORE_ERROR', message: 'x' } })],
      ['an error off the shape', res(400, { message: 'bad' })],
      ['a code outside the catalogue', res(400, { error: { code: 'OOPS', message: 'x' } })],
      [
        'a status the code does not have',
        res(422, { error: { code: 'INVALID_INPUT', message: 'x', field: 'a' } }),
      ],
      ['an input error without a field', res(400, { error: { code: 'INVALID_INPUT', message: 'x' } })],
      ['a key error without a field', res(401, { error: { code: 'UNAUTHORIZED', message: 'x' } })],
      [
        'a field naming no input',
        res(400, { error: { code: 'INVALID_INPUT', message: 'x', field: 'events[undefined]' } }),
      ],
      ['a stack trace', res(400, { error: { code: 'NOT_FOUND', message: 'x\n    at f (/src/a.ts:1:2)' } })],
      ['an echoed huge input', res(400, { error: { code: 'NOT_FOUND', message: 'x'.repeat(5000) } })],
      ['a success off the documented schema', res(200, { id: 'a', n: 1.5 })],
      ['another success status than documented', res(201, { id: 'a', n: 1 })],
      ['a wrong key accepted', res(200, { id: 'a', n: 1 }), req('key wrong')],
      ['a read key accepted on an admin route', res(200, {}), req('key read', post)],
      ['a body that is not JSON', { statusCode: 200, body: '<html>', headers: {} }],
    ];
    for (const [what, r, q] of flagged) assert.ok(checker.check(q ?? req(), r), what);
  });

  test('a rejected request that writes, or changes what the engine answers, is flagged', async () => {
    const refuse = {
      statusCode: 404,
      body: JSON.stringify({ error: { code: 'NOT_FOUND', message: 'x' } }),
      headers: {},
    };
    const run = (target: FuzzTarget) =>
      fuzzApi(target, doc, {
        runs: 20,
        seed: 1,
        known: { byName: {}, any: [] },
        keys: { admin: 'a', read: 'r' },
      });
    let writes = 0;
    const writing = await run({
      inject: async () => {
        writes++;
        return refuse;
      },
      writes: () => writes,
    });
    assert.match(writing.failures[0]?.problem ?? '', /rejected request wrote/);
    let answers = 0;
    const forgetful = await run({
      inject: async (o) => {
        if (o.method !== 'GET') answers++;
        return refuse;
      },
      writes: () => 0,
      memory: async () => String(answers),
    });
    assert.match(forgetful.failures[0]?.problem ?? '', /changed the engine's answers/);
    const clean = await run({ inject: async () => refuse, writes: () => 0, memory: async () => 'same' });
    assert.deepEqual(clean.failures, []);
  });
});
