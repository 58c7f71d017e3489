/**
 * Users' profiles as the engine serves them: built from the store's recent events on first use,
 * cached, and given new events lazily (entries wait beside the cached profile and are clustered
 * in on its next read).
 */
import { LRUCache } from 'lru-cache';
import type { Event, Scenario } from '../core/types.ts';
import { itemSpaceOf, type ScoringModel } from '../model/scoring.ts';
import { buildProfile, type ProfileOptions, updateProfile } from '../profile/interests.ts';
import type { HistoryEntry, UserProfile } from '../profile/types.ts';
import { eventWeight } from '../profile/weights.ts';
import type { Store } from '../store/types.ts';
import type { ProfileMemo } from './memo.ts';
import { inProfile, scenarioAlone } from './score-all.ts';

/** profiles kept in memory; the least recently read is dropped past this */
const PROFILE_CACHE = 50_000;

export interface ProfileDeps {
  store: Store;
  model: ScoringModel;
  /** item id -> dense index */
  index: ReadonlyMap<string, number>;
  /** for each scenario's event weights */
  scenarios: ReadonlyMap<string, Scenario>;
  options: ProfileOptions;
  /** what requests memoised per profile: forgotten with the profile */
  memo: ProfileMemo;
  /** `train.fusion`: off = a request in a scenario sees that scenario's history alone */
  fusion: boolean;
  /**
   * Events reach this engine before the store holds them (a clustered bus: the stream's shared
   * writer stores them a moment later): recent ones are kept to complete a profile built from the
   * store, and an event the store already gave a cached profile is not added again.
   */
  clustered?: boolean;
  /** scores an event's comment or review text (generated scores when known); default the analysers' */
  sentiment?: ((text: string, user: string | undefined) => number) | undefined;
}

/** how long a clustered engine keeps an event the store may not hold yet */
const UNSTORED_MS = 10 * 60_000;

export class Profiles {
  /** entries added to a cached profile since it was clustered; applied on its next read */
  private readonly pending = new Map<string, HistoryEntry[]>();
  private readonly cache: LRUCache<string, UserProfile>;
  /** without fusion: each (user, scenario)'s own-history profile, and the profile it was cut from */
  private readonly alone = new LRUCache<string, { from: UserProfile; profile: UserProfile }>({
    max: PROFILE_CACHE,
    dispose: (v, _key, reason) => {
      if (reason !== 'set') this.d.memo.forget(v.profile);
    },
  });

  /** clustered: each recent user's events taken from the bus, newest last (see `clustered`) */
  private readonly unstored: LRUCache<string, Event[]> | undefined;

  constructor(private readonly d: ProfileDeps) {
    this.unstored = d.clustered ? new LRUCache({ max: PROFILE_CACHE, ttl: UNSTORED_MS }) : undefined;
    this.cache = new LRUCache<string, UserProfile>({
      max: PROFILE_CACHE,
      // an evicted profile takes what requests memoised for it and its waiting entries along
      dispose: (profile, user, reason) => {
        if (reason !== 'evict') return;
        d.memo.forget(profile);
        this.pending.delete(user);
      },
    });
  }

  get options(): ProfileOptions {
    return this.d.options;
  }

  /** an event as a history entry; undefined for an item the model does not know */
  entryOf(
    e: Pick<Event, 'item' | 'scenario' | 'type' | 'value' | 'text' | 'ts'> & { user?: string },
  ): HistoryEntry | undefined {
    const item = this.d.index.get(e.item);
    if (item === undefined) return undefined;
    const weights = this.d.scenarios.get(e.scenario)?.eventWeights ?? {};
    const sentiment = this.d.sentiment;
    const weight = sentiment ? eventWeight(e, weights, (t) => sentiment(t, e.user)) : eventWeight(e, weights);
    return { item, scenario: e.scenario, weight, ts: e.ts };
  }

  /** the user's profile, from the cache or built from the store's recent events */
  async get(user: string): Promise<UserProfile> {
    const { model: m, memo, options } = this.d;
    const cached = this.cache.get(user);
    if (cached) {
      const waiting = this.pending.get(user);
      if (!waiting) return cached;
      // the same profile the eager update gave: history + new entries, sorted (stably) by time
      const updated = updateProfile(cached, waiting, itemSpaceOf(m), options);
      this.pending.delete(user);
      memo.forget(cached);
      this.cache.set(user, updated);
      return updated;
    }
    let events: Event[] = await this.d.store.events.ofUser(user, { limit: options.maxHistory * 2 });
    // read after the store answered: an event applied meanwhile is here, if not there
    const recent = this.unstored?.get(user);
    if (recent) {
      const stored = new Set(events.map((e) => e.id));
      const missing = recent.filter((e) => !stored.has(e.id));
      // stable: equal times keep the store's order, then arrival order
      if (missing.length > 0) events = [...events, ...missing].sort((a, b) => a.ts - b.ts);
    }
    const history = events
      .filter(inProfile)
      .map((e) => this.entryOf(e))
      .filter((h): h is HistoryEntry => h !== undefined);
    const profile = buildProfile(user, history, itemSpaceOf(m), options);
    this.cache.set(user, profile);
    return profile;
  }

  /**
   * The profile a request in `scenario` is served from: the user's, or without fusion
   * (`train.fusion` off) the one of their history in that scenario alone, cached beside it and
   * rebuilt when the user's profile changes. `fusion` overrides the setting (an experiment's variant).
   */
  async forScenario(user: string, scenario: string, fusion = this.d.fusion): Promise<UserProfile> {
    const profile = await this.get(user);
    if (fusion) return profile;
    const key = `${user}\u0000${scenario}`;
    const kept = this.alone.get(key);
    if (kept?.from === profile) return kept.profile;
    if (kept) this.d.memo.forget(kept.profile);
    const own = scenarioAlone(profile, scenario, itemSpaceOf(this.d.model), this.d.options);
    this.alone.set(key, { from: profile, profile: own });
    return own;
  }

  /**
   * New entries per user: cached profiles take them now and re-cluster on their next read, so a
   * batch touching a thousand users costs no clustering, and several batches before a read cost one.
   */
  add(byUser: ReadonlyMap<string, HistoryEntry[]>): void {
    for (const [user, given] of byUser) {
      const cached = this.cache.get(user);
      if (!cached) continue;
      let entries = given;
      if (this.d.clustered) {
        // built from a store that already held some of them (the writer was ahead of this node)
        const seen = new Set(cached.history.map((h) => `${h.item}\u0000${h.scenario}\u0000${h.ts}`));
        entries = given.filter((h) => !seen.has(`${h.item}\u0000${h.scenario}\u0000${h.ts}`));
        if (entries.length === 0) continue;
      }
      const waiting = this.pending.get(user);
      if (waiting) waiting.push(...entries);
      else this.pending.set(user, entries);
    }
  }

  /** clustered: keeps the events a moment, for profiles built before the store holds them */
  remember(events: readonly Event[]): void {
    if (!this.unstored) return;
    for (const e of events) {
      if (!inProfile(e)) continue;
      const list = this.unstored.get(e.user) ?? [];
      list.push(e);
      if (list.length > this.d.options.maxHistory) list.shift();
      this.unstored.set(e.user, list);
    }
  }

  /** the user's profile is built again on its next read (an event's weight changed) */
  invalidate(user: string): void {
    const cached = this.cache.get(user);
    if (cached) this.d.memo.forget(cached);
    this.cache.delete(user);
    this.pending.delete(user);
    for (const key of [...this.alone.keys()]) if (key.startsWith(`${user}\u0000`)) this.alone.delete(key);
  }

  forget(user: string): void {
    this.unstored?.delete(user);
    this.invalidate(user);
  }

  clear(): void {
    this.cache.clear();
    this.unstored?.clear();
    this.pending.clear();
    this.alone.clear();
  }
}
