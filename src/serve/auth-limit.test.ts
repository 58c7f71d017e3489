/**
 * Rate limits against hostile clients: an invented key must not open a bucket of its own, and
 * guessing keys must stop after a few failures per address.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../config/load.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { buildServer } from './app.ts';
import { sha256Hex } from './auth.ts';
import { fakeEngine } from './fake-engine.ts';

async function withServer(
  server: Record<string, unknown>,
  body: (app: FastifyInstance) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-authlimit-'));
  const store = new SqliteStore(join(dir, 't.db'));
  const app = await buildServer({ engine: fakeEngine(store), store }, parseConfig({ server }));
  try {
    await body(app);
  } finally {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const codes = async (app: FastifyInstance, n: number, headers: () => Record<string, string>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push((await app.inject({ url: '/v1/scenarios', headers: headers() })).statusCode);
  return out;
};

describe('rate limit by credential', () => {
  test('a random X-API-Key per request is limited like no key: per client address', async () => {
    await withServer({ rateLimitPerMinute: 5 }, async (app) => {
      const got = await codes(app, 8, () => ({ 'x-api-key': randomUUID() }));
      assert.deepEqual(got, [200, 200, 200, 200, 200, 429, 429, 429]);
      // and a request with no key shares that address's bucket
      assert.equal((await app.inject({ url: '/v1/scenarios' })).statusCode, 429);
    });
  });

  test('a valid key has a bucket of its own', async () => {
    const READ = 'server-read-key';
    await withServer(
      { rateLimitPerMinute: 3, readKeyHashes: [sha256Hex(READ)], authFailuresPerMinute: 0 },
      async (app) => {
        // the address's bucket is spent by failed and keyless requests...
        await codes(app, 4, () => ({ 'x-api-key': randomUUID() }));
        // ...and the valid key still gets its own three
        assert.deepEqual(await codes(app, 4, () => ({ 'x-api-key': READ })), [200, 200, 200, 429]);
      },
    );
  });
});

describe('failed authentication', () => {
  const READ = 'server-read-key';

  test('after authFailuresPerMinute bad keys from one address, it gets 429 with Retry-After', async () => {
    await withServer(
      { rateLimitPerMinute: 0, authFailuresPerMinute: 3, readKeyHashes: [sha256Hex(READ)] },
      async (app) => {
        const got = await codes(app, 5, () => ({ authorization: `Bearer ${randomUUID()}` }));
        assert.deepEqual(got, [401, 401, 401, 429, 429]);
        const locked = await app.inject({ url: '/v1/scenarios', headers: { 'x-api-key': 'guess' } });
        assert.equal(locked.json().error.code, 'RATE_LIMITED');
        const wait = Number(locked.headers['retry-after']);
        assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `retry-after ${wait}`);
        // while locked, a right guess is refused too, so the answers tell a guesser nothing
        assert.equal(
          (await app.inject({ url: '/v1/scenarios', headers: { 'x-api-key': READ } })).statusCode,
          429,
        );
        // requests that present no credential are not affected by the lock-out
        assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
      },
    );
  });

  test('forged user tokens count as failures too', async () => {
    await withServer(
      {
        rateLimitPerMinute: 0,
        authFailuresPerMinute: 2,
        readKeyHashes: [sha256Hex(READ)],
        tokenSecret: 'x'.repeat(40),
      },
      async (app) => {
        const got = await codes(app, 3, () => ({ authorization: `Bearer fr1.e30.${randomUUID()}` }));
        assert.deepEqual(got, [401, 401, 429]);
      },
    );
  });
});
