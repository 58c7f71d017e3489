/**
 * Anonymous sessions: the items a visitor without an account (or without history) looked at,
 * kept in memory (never in the event log: nobody consented to a stored trail; nodes that share a
 * cache also keep them there for the session's lifetime, shared-sessions.ts) and used as
 * the history of a recommendation request that names the session. A session lives `ttlMinutes`
 * after its last event; past `maxSessions` the least recently active one is dropped. The clock is
 * injected so expiry is testable without waiting.
 */
import type { HistoryEntry, UserProfile } from '../profile/types.ts';

export interface SessionOptions {
  ttlMinutes: number;
  maxSessions: number;
  /** most recent entries kept per session */
  maxItems: number;
}

interface Session {
  entries: HistoryEntry[];
  /** time of the last event: the session expires `ttl` after it */
  touched: number;
  /** the profile built from `entries`, until they change */
  profile: UserProfile | undefined;
}

export class Sessions {
  /** insertion order = activity order: a session is re-inserted on each event */
  private readonly map = new Map<string, Session>();

  constructor(
    private readonly o: SessionOptions,
    private readonly now: () => number,
    /** a profile built for a session is no longer used (what requests memoised for it can go) */
    private readonly onDrop: (profile: UserProfile) => void,
  ) {}

  private get ttl(): number {
    return this.o.ttlMinutes * 60_000;
  }

  /** adds entries to the session (made if new or expired); returns its entry count and expiry */
  add(id: string, entries: readonly HistoryEntry[]): { items: number; expiresAt: number } {
    const now = this.now();
    let s = this.live(id, now);
    if (s) this.map.delete(id);
    else s = { entries: [], touched: now, profile: undefined };
    s.entries.push(...entries);
    s.entries.sort((a, b) => a.ts - b.ts);
    if (s.entries.length > this.o.maxItems) s.entries.splice(0, s.entries.length - this.o.maxItems);
    s.touched = now;
    this.dropProfile(s);
    this.map.set(id, s);
    this.evict(now);
    return { items: s.entries.length, expiresAt: now + this.ttl };
  }

  /**
   * Sets a session's entries to the shared view of it (another node's events included); a session
   * whose entries are already these keeps its profile.
   */
  replace(id: string, entries: readonly HistoryEntry[]): void {
    const now = this.now();
    const sorted = [...entries].sort((a, b) => a.ts - b.ts).slice(-this.o.maxItems);
    const s = this.live(id, now);
    if (s && sameEntries(s.entries, sorted)) return;
    if (s) {
      this.map.delete(id);
      this.dropProfile(s);
    }
    this.map.set(id, { entries: sorted, touched: s?.touched ?? now, profile: undefined });
    this.evict(now);
  }

  private evict(now: number): void {
    // activity order: expired sessions sit at the head, and go now rather than at eviction
    for (const [oldId, old] of this.map) {
      if (now - old.touched < this.ttl) break;
      this.remove(oldId);
    }
    while (this.map.size > this.o.maxSessions) {
      const oldest = this.map.keys().next().value as string;
      this.remove(oldest);
    }
  }

  /**
   * The session's profile, built by `build` from its entries on first use after a change;
   * undefined when the session is unknown, expired or empty.
   */
  profile(id: string, build: (entries: readonly HistoryEntry[]) => UserProfile): UserProfile | undefined {
    const s = this.live(id, this.now());
    if (!s || s.entries.length === 0) return undefined;
    s.profile ??= build(s.entries);
    return s.profile;
  }

  /** the live session, or undefined (an expired one is removed on the way) */
  private live(id: string, now: number): Session | undefined {
    const s = this.map.get(id);
    if (!s) return undefined;
    if (now - s.touched < this.ttl) return s;
    this.remove(id);
    return undefined;
  }

  /** an item no longer exists: its entries leave every session */
  forgetItem(item: number): void {
    for (const s of this.map.values()) {
      const kept = s.entries.filter((e) => e.item !== item);
      if (kept.length === s.entries.length) continue;
      s.entries = kept;
      this.dropProfile(s);
    }
  }

  get size(): number {
    return this.map.size;
  }

  private remove(id: string): void {
    const s = this.map.get(id);
    if (s) this.dropProfile(s);
    this.map.delete(id);
  }

  private dropProfile(s: Session): void {
    if (s.profile) this.onDrop(s.profile);
    s.profile = undefined;
  }

  clear(): void {
    for (const s of this.map.values()) this.dropProfile(s);
    this.map.clear();
  }
}

const sameEntries = (a: readonly HistoryEntry[], b: readonly HistoryEntry[]) =>
  a.length === b.length &&
  a.every((e, i) => e.item === b[i]!.item && e.ts === b[i]!.ts && e.weight === b[i]!.weight);
