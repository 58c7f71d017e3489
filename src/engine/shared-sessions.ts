/**
 * Anonymous sessions across nodes: with a shared cache (`cache.url`), a session's events are also
 * appended there (expiring `engine.sessions.ttlMinutes` after the last, under the tenant's key
 * prefix, keyed by a hash of the session id), and a request naming a session reads it back first,
 * so a client whose next request lands on another node keeps its session. Entries travel as item
 * ids with the scenario, event type and time, never as dense indices (nodes may number a changing
 * catalog differently), and name no user. While the cache is unreachable each node serves the
 * sessions in its own memory (sessions.ts); `/health` says so with the cache's state.
 */
import type { SharedCache } from '../cache/types.ts';
import type { HistoryEntry } from '../profile/types.ts';
import type { SessionOptions, Sessions } from './sessions.ts';

export interface SessionEvent {
  item: string;
  scenario: string;
  type: string;
  ts: number;
}

const encode = (e: SessionEvent) => JSON.stringify([e.item, e.scenario, e.type, e.ts]);

function decode(raw: string): SessionEvent | undefined {
  try {
    const v = JSON.parse(raw) as unknown;
    if (!Array.isArray(v) || v.length !== 4) return undefined;
    const [item, scenario, type, ts] = v as unknown[];
    if (typeof item !== 'string' || typeof scenario !== 'string' || typeof type !== 'string')
      return undefined;
    if (typeof ts !== 'number') return undefined;
    return { item, scenario, type, ts };
  } catch {
    return undefined;
  }
}

export class SharedSessions {
  constructor(
    private readonly o: {
      cache: SharedCache;
      sessions: Sessions;
      options: SessionOptions;
      /** the history entry of an event on this node's catalog; undefined for an unknown item */
      entryOf: (e: SessionEvent) => HistoryEntry | undefined;
    },
  ) {}

  /** shares events the local session already took; a cache failure leaves them local */
  async append(session: string, events: readonly SessionEvent[]): Promise<void> {
    const { cache, options } = this.o;
    if (!cache.reachable() || events.length === 0) return;
    await cache
      .appendSession(session, events.map(encode), options.ttlMinutes * 60_000, options.maxItems)
      .catch(() => {});
  }

  /** brings the local session up to the shared one; a session the cache does not hold stays as it is */
  async refresh(session: string): Promise<void> {
    const { cache, sessions, entryOf } = this.o;
    if (!cache.reachable()) return;
    const raw = await cache.readSession(session).catch(() => undefined);
    if (!raw) return;
    const entries: HistoryEntry[] = [];
    for (const r of raw) {
      const e = decode(r);
      const h = e && entryOf(e);
      if (h) entries.push(h);
    }
    sessions.replace(session, entries);
  }

  /** an item deleted (or a user erased, as the item `user:<id>`): its entries leave every shared session */
  async forgetItem(item: string): Promise<void> {
    await this.o.cache.filterSessions((r) => decode(r)?.item === item).catch(() => {});
  }
}
