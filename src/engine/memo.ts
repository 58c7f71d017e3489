/**
 * What a request computes from a user's profile alone, kept for that profile's next requests:
 * the text features of items already scored for it, the semantic index's answers, and per
 * scenario the retrieved candidates with their context-free scores and explanations. Keyed by the
 * profile object, so a profile rebuilt by new events starts afresh; the engine clears the whole
 * memo when items (vectors, availability, the indices) change. Bounded, least recently used first
 * out.
 *
 * The ranked entries also depend on other users' events (the popular and trending retrievers,
 * whether an item has had any event yet): those are not tracked exactly, so a ranked entry lives
 * `engine.rankCacheSeconds` at most.
 */
import { LRUCache } from 'lru-cache';
import type { SearchHit } from '../index/types.ts';
import type { UserProfile } from '../profile/types.ts';
import type { ExplanationBase } from '../rank/explain.ts';
import { TextMemo } from '../rank/features.ts';
import type { SearchCache } from '../retrieve/semantic.ts';

/** one scenario's ranking work for a profile, before the request's context, MMR and filters */
export interface RankedEntry {
  /** when it was computed (ms) */
  at: number;
  items: number[];
  /** the retriever that found each item */
  source: Map<number, string>;
  used: string[];
  /** the ranker's scores without the context feature, aligned with `items` */
  base: Float32Array;
  /** the ranker weights they were scored with (the profile's scenario and history bucket) */
  weights: readonly number[];
  /** context-free explanations of the items recommended so far */
  explained: Map<number, ExplanationBase>;
  /** MMR's item-item similarities computed so far (key: first item x catalog size + second) */
  similar: Map<number, number>;
}

interface Entry {
  text: TextMemo;
  search: Map<string, SearchHit[][]>;
  ranked: Map<string, RankedEntry>;
}

export class ProfileMemo implements SearchCache {
  // reads that only look (getSearch, getRanked) peek; writes and text() count as a use
  private readonly entries: LRUCache<UserProfile, Entry>;

  constructor(capacity: number) {
    this.entries = new LRUCache({ max: capacity });
  }

  private entry(profile: UserProfile): Entry {
    let e = this.entries.get(profile);
    if (!e) {
      e = { text: new TextMemo(), search: new Map(), ranked: new Map() };
      this.entries.set(profile, e);
    }
    return e;
  }

  text(profile: UserProfile): TextMemo {
    return this.entry(profile).text;
  }

  getSearch(profile: UserProfile, key: string): SearchHit[][] | undefined {
    return this.entries.peek(profile)?.search.get(key);
  }

  setSearch(profile: UserProfile, key: string, hits: SearchHit[][]): void {
    this.entry(profile).search.set(key, hits);
  }

  /** the ranked entry under `key` if it is younger than `maxAgeMs` at `now` */
  getRanked(profile: UserProfile, key: string, now: number, maxAgeMs: number): RankedEntry | undefined {
    const r = this.entries.peek(profile)?.ranked.get(key);
    return r && now - r.at < maxAgeMs ? r : undefined;
  }

  /** how many ranked entries the profile holds (bounds what filtered requests may add) */
  rankedCount(profile: UserProfile): number {
    return this.entries.peek(profile)?.ranked.size ?? 0;
  }

  setRanked(profile: UserProfile, key: string, entry: RankedEntry): void {
    this.entry(profile).ranked.set(key, entry);
  }

  forget(profile: UserProfile): void {
    this.entries.delete(profile);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
