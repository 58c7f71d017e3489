/**
 * What nodes share besides the store and the bus: counters for rate limits, a short-lived
 * response cache and anonymous sessions. Picked by `cache.url` in the composition root (engine/create.ts): none, or Redis.
 * Every operation degrades rather than fails: an unreachable cache is a miss, and a counter it
 * cannot keep is kept locally by the caller.
 */
import type { DependencyHealth } from '../bus/types.ts';

/** a cached answer and the bus position the answering node had applied when it computed it */
export interface CachedAnswer {
  position: number;
  value: string;
}

export interface SharedCache {
  /** `none`: nothing shared; `redis`: a Redis server */
  readonly kind: 'none' | 'redis';
  /** whether shared operations reach the cache now (else callers use local fallbacks) */
  reachable(): boolean;
  /** the answer cached for this user and request key (fresher than the TTL), or undefined */
  getAnswer(user: string, key: string): Promise<CachedAnswer | undefined>;
  /** keeps an answer for the TTL; failures are ignored (a cache) */
  setAnswer(user: string, key: string, answer: CachedAnswer): void;
  /** drops every cached answer of these users (their events arrived) */
  forgetUsers(users: readonly string[]): void;
  /**
   * Counts a hit in a fixed window shared by every node: the count so far and the window's
   * remaining milliseconds. Rejects when the cache is unreachable.
   */
  hit(key: string, windowMs: number): Promise<{ current: number; ttl: number }>;
  /**
   * Appends entries (opaque strings) to an anonymous session, keeps its newest `maxItems` and
   * expires it `ttlMs` after this append. Rejects when the cache is unreachable.
   */
  appendSession(session: string, entries: readonly string[], ttlMs: number, maxItems: number): Promise<void>;
  /** the session's entries in append order; undefined when it has none. Rejects when unreachable */
  readSession(session: string): Promise<string[] | undefined>;
  /** removes the entries `drop` says so from every session (an item deleted, a user erased) */
  filterSessions(drop: (entry: string) => boolean): Promise<void>;
  health(): DependencyHealth;
  close(): Promise<void>;
}

/** no shared cache: every answer computed, every limit local */
export const NO_CACHE: SharedCache = {
  kind: 'none',
  reachable: () => false,
  getAnswer: async () => undefined,
  setAnswer() {},
  forgetUsers() {},
  hit: () => Promise.reject(new Error('no shared cache')),
  appendSession: () => Promise.reject(new Error('no shared cache')),
  readSession: () => Promise.reject(new Error('no shared cache')),
  filterSessions: async () => {},
  health: () => ({ status: 'ok', target: 'none' }),
  close: async () => {},
};
