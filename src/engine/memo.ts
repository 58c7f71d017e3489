/**
 * What a request computes from a user's profile alone, kept for that profile's next requests:
 * the text features of items already scored for it and the semantic index's answers. Keyed by
 * the profile object, so a profile rebuilt by new events starts afresh; the engine clears the
 * whole memo when items (vectors, availability, the indices) change. Bounded, least recently
 * used first out.
 */
import type { SearchHit } from '../index/types.ts';
import type { UserProfile } from '../profile/types.ts';
import { TextMemo } from '../rank/query.ts';
import type { SearchCache } from '../retrieve/semantic.ts';

interface Entry {
  text: TextMemo;
  search: Map<string, SearchHit[][]>;
}

export class ProfileMemo implements SearchCache {
  private entries = new Map<UserProfile, Entry>();

  constructor(private readonly capacity: number) {}

  private entry(profile: UserProfile): Entry {
    let e = this.entries.get(profile);
    if (e) {
      // most recently used last
      this.entries.delete(profile);
    } else {
      e = { text: new TextMemo(), search: new Map() };
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(profile, e);
    return e;
  }

  text(profile: UserProfile): TextMemo {
    return this.entry(profile).text;
  }

  getSearch(profile: UserProfile, key: string): SearchHit[][] | undefined {
    return this.entries.get(profile)?.search.get(key);
  }

  setSearch(profile: UserProfile, key: string, hits: SearchHit[][]): void {
    this.entry(profile).search.set(key, hits);
  }

  forget(profile: UserProfile): void {
    this.entries.delete(profile);
  }

  clear(): void {
    this.entries = new Map();
  }

  get size(): number {
    return this.entries.size;
  }
}
