/**
 * The one registry of users erased while this process runs. The engine's composition root makes
 * it and hands it to the bus (whose store writer drops an erased user's events published before
 * the erasure and delivered after it: a redelivered batch) and to the impression log (which logs
 * no answer for them: a retry, or a page another node still served). Bounded: the oldest erasures
 * are forgotten first, by which time no late message of theirs is still in flight.
 */
import { LRUCache } from 'lru-cache';
import type { ErasureRegistry } from '../bus/types.ts';

/** erasures remembered by default */
const REMEMBERED = 10_000;

export class ErasedUsers implements ErasureRegistry {
  private readonly at: LRUCache<string, number>;

  constructor(max = REMEMBERED) {
    this.at = new LRUCache({ max });
  }

  /**
   * Records the user's erasure at bus position `position` (0 where the bus has not placed it yet:
   * it is recorded again once published); a later erasure of the same user moves it forward.
   */
  erase(user: string, position = 0): void {
    this.at.set(user, Math.max(position, this.at.get(user) ?? 0));
  }

  erasedAt(user: string): number | undefined {
    return this.at.get(user);
  }

  has(user: string): boolean {
    return this.at.has(user);
  }
}
