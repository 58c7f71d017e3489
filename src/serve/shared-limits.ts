/**
 * The rate limiter's counters when nodes share a cache: one fixed window per key, counted in the
 * shared cache so a client spread over the nodes by the load balancer meets one limit; while the
 * cache is unreachable, counted in this process (the limit then holds per node), never skipped.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { LRUCache } from 'lru-cache';
import type { SharedCounters } from './context.ts';

/** keys counted locally while the shared cache is unreachable */
const LOCAL_KEYS = 10_000;

/** a store class for `@fastify/rate-limit`'s `store` option */
export function sharedLimitStore(shared: SharedCounters): FastifyRateLimitStoreCtor {
  return class SharedLimitStore implements FastifyRateLimitStore {
    private readonly local = new LRUCache<string, { current: number; start: number }>({ max: LOCAL_KEYS });

    constructor(
      _options?: unknown,
      private readonly prefix = '',
    ) {}

    private localHit(key: string, windowMs: number): { current: number; ttl: number } {
      const now = Date.now();
      let c = this.local.get(key);
      if (!c || now - c.start >= windowMs) {
        c = { current: 0, start: now };
        this.local.set(key, c);
      }
      c.current += 1;
      return { current: c.current, ttl: windowMs - (now - c.start) };
    }

    incr(
      key: string,
      cb: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      const k = this.prefix + key;
      if (!shared.reachable()) {
        cb(null, this.localHit(k, timeWindow));
        return;
      }
      shared.hit(k, timeWindow).then(
        (r) => cb(null, r),
        () => cb(null, this.localHit(k, timeWindow)),
      );
    }

    /** a route with limits of its own counts apart (the plugin passes the route as `routeInfo`) */
    child(params: object): FastifyRateLimitStore {
      const r = (params as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo ?? {};
      return new SharedLimitStore(undefined, `${this.prefix}${String(r.method)}${String(r.url)}-`);
    }
  };
}
