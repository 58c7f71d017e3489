import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import { openRedisCache } from '../cache/redis.ts';
import { sharedLimitStore } from './shared-limits.ts';

const REDIS_URL = process.env.FUSIONREC_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/** one `incr` through the plugin's callback interface */
function incr(store: FastifyRateLimitStore, key: string, windowMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) =>
    store.incr(key, (e, r) => (e ? reject(e) : resolve(r!.current)), windowMs, 10),
  );
}

describe('rate-limit counters', () => {
  const prefix = `fusionrec-test-${randomBytes(5).toString('hex')}:`;
  after(async () => {
    const r = new Redis(REDIS_URL);
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
    r.disconnect();
  });

  test('two nodes count one window in the shared cache', async () => {
    const a = await openRedisCache({ url: REDIS_URL, prefix, ttlMs: 1000 });
    const b = await openRedisCache({ url: REDIS_URL, prefix, ttlMs: 1000 });
    try {
      const StoreA = sharedLimitStore(a);
      const StoreB = sharedLimitStore(b);
      const onA = new StoreA({});
      const onB = new StoreB({});
      assert.deepEqual(
        [await incr(onA, 'ip:1'), await incr(onB, 'ip:1'), await incr(onA, 'ip:1')],
        [1, 2, 3],
      );
      assert.equal(await incr(onB, 'ip:2'), 1, 'keys count apart');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('an unreachable cache: counted locally, per node, never skipped', async () => {
    const down = await openRedisCache({ url: 'redis://127.0.0.1:1', prefix, ttlMs: 1000, log: () => {} });
    try {
      const Store = sharedLimitStore(down);
      const one = new Store({});
      assert.deepEqual([await incr(one, 'ip:1'), await incr(one, 'ip:1')], [1, 2]);
      assert.equal(await incr(new Store({}), 'ip:1'), 1, 'another node counts its own');
      assert.equal(down.health().status, 'degraded');
    } finally {
      await down.close();
    }
  });
});
