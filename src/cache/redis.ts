/**
 * The shared cache on Redis. Keys, all under `cache.prefix`: `rec:<user hash>` a hash of cached
 * /v1/recommend answers (field: the request's key), dropped whole when the user's events arrive or
 * the user is erased (no key names a user: an erased user's id is in no key, even one a later
 * request for the same id makes, and answers are cached without the user field);
 * `rl:<key>` a rate-limit counter with the window as its expiry; `sess:<session hash>` an anonymous
 * session's entries (a list, newest last) expiring `engine.sessions.ttlMinutes` after its last
 * append (the session id is in no key either). Nothing waits on an unreachable
 * Redis: commands fail at once (no offline queue) while the client reconnects in the background.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DependencyHealth } from '../bus/types.ts';
import type { CachedAnswer, SharedCache } from './types.ts';

export interface RedisCacheOptions {
  url: string;
  prefix: string;
  /** how long an answer is kept */
  ttlMs: number;
  /** notices (lost, back); default stderr */
  log?: (message: string) => void;
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//…@');
}

/** opens the client; an unreachable Redis is not an error (the node serves without it) */
export async function openRedisCache(o: RedisCacheOptions): Promise<SharedCache> {
  const log = o.log ?? ((m: string) => console.warn(`cache: ${m}`));
  const target = redact(o.url);
  const redis = new Redis(o.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    // keep trying in the background, at most every 2 s
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let lastError: string | undefined;
  let closing = false;
  redis.on('error', (e: Error) => {
    if (lastError === undefined && !closing)
      log(`Redis at ${target} unreachable (${e.message}); local limits, no response cache, local sessions`);
    lastError = e.message;
  });
  redis.on('ready', () => {
    if (lastError !== undefined) log(`Redis at ${target} reachable again`);
    lastError = undefined;
  });
  await redis.connect().catch(() => {});
  const p = o.prefix;
  const hashed = (kind: string, id: string) =>
    `${p}${kind}:${createHash('sha256').update(p).update('\0').update(id).digest('base64url')}`;
  const recKey = (user: string) => hashed('rec', user);
  const sessionKey = (session: string) => hashed('sess', session);
  const ready = () => redis.status === 'ready';
  return {
    kind: 'redis',
    reachable: ready,
    async getAnswer(user, key) {
      if (!ready() || o.ttlMs <= 0) return undefined;
      try {
        const raw = await redis.hget(recKey(user), key);
        if (!raw) return undefined;
        const v = JSON.parse(raw) as CachedAnswer & { at: number };
        if (Date.now() - v.at > o.ttlMs) return undefined;
        return { position: v.position, value: v.value };
      } catch {
        return undefined;
      }
    },
    setAnswer(user, key, answer) {
      if (!ready() || o.ttlMs <= 0) return;
      const k = recKey(user);
      redis
        .multi()
        .hset(k, key, JSON.stringify({ ...answer, at: Date.now() }))
        .pexpire(k, o.ttlMs)
        .exec()
        .catch(() => {});
    },
    forgetUsers(users) {
      if (!ready() || users.length === 0) return;
      redis.del(...users.map(recKey)).catch(() => {});
    },
    async hit(key, windowMs) {
      const k = `${p}rl:${key}`;
      const r = await redis.multi().incr(k).pexpire(k, windowMs, 'NX').pttl(k).exec();
      if (!r) throw new Error('rate-limit transaction aborted');
      for (const [err] of r) if (err) throw err;
      return { current: Number(r[0]![1]), ttl: Math.max(0, Number(r[2]![1])) };
    },
    async appendSession(session, entries, ttlMs, maxItems) {
      const k = sessionKey(session);
      const r = await redis
        .multi()
        .rpush(k, ...entries)
        .ltrim(k, -maxItems, -1)
        .pexpire(k, ttlMs)
        .exec();
      if (!r) throw new Error('session transaction aborted');
      for (const [err] of r) if (err) throw err;
    },
    async readSession(session) {
      const got = await redis.lrange(sessionKey(session), 0, -1);
      return got.length > 0 ? got : undefined;
    },
    async filterSessions(drop) {
      if (!ready()) return;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          `${p.replace(/[*?[\]\\]/g, '\\$&')}sess:*`,
          'COUNT',
          500,
        );
        cursor = next;
        if (keys.length === 0) continue;
        // a page's sessions read in one round trip, not one each
        const lists = await keys.reduce((m, k) => m.lrange(k, 0, -1), redis.pipeline()).exec();
        if (!lists) throw new Error('session read aborted');
        for (const [i, k] of keys.entries()) {
          const [err, got] = lists[i]!;
          if (err) throw err;
          const entries = got as string[];
          const kept = entries.filter((e) => !drop(e));
          if (kept.length === entries.length) continue;
          const ttl = await redis.pttl(k);
          const m = redis.multi().del(k);
          if (kept.length > 0 && ttl > 0) m.rpush(k, ...kept).pexpire(k, ttl);
          await m.exec();
        }
      } while (cursor !== '0');
    },
    health(): DependencyHealth {
      if (ready()) return { status: 'ok', target };
      return {
        status: 'degraded',
        target,
        detail: `unreachable (${lastError ?? redis.status}): local rate limits, no response cache, sessions in this node's memory`,
      };
    },
    async close() {
      closing = true;
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
