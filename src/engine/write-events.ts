/**
 * Taking events: written durably in group commits, then applied to the in-memory state (counts,
 * popular and trending lists, context statistics, cached profiles) so the very next request
 * reflects them.
 */
import { RecError } from '../core/errors.ts';
import type { Event } from '../core/types.ts';
import { contextKeys, recordContext } from '../model/context.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { HistoryEntry } from '../profile/types.ts';
import type { Store } from '../store/types.ts';
import type { RankedCounts } from './lists.ts';
import type { Profiles } from './profiles.ts';
import { inProfile } from './score-all.ts';

export interface EventCounts {
  inserted: number;
  duplicates: number;
}

/** addEvents calls committed together */
interface EventGroup {
  events: Event[];
  waiters: {
    from: number;
    to: number;
    resolve: (r: EventCounts) => void;
    reject: (e: unknown) => void;
  }[];
}

/** a group takes no more batches past this many events (one transaction holds the thread) */
const GROUP_COMMIT_MAX = 10_000;

/**
 * Group commit: batches that arrive in the same turn of the event loop (concurrent requests whose
 * bodies were read while the previous commit held the thread) are written in one transaction, one
 * commit being much cheaper per event than several (docs/serving-results.md). Each caller is answered with its
 * own counts once the whole group is durable and applied.
 */
export class GroupCommit {
  /** the group still taking batches this turn */
  private open: EventGroup | undefined;
  /** every group not yet committed */
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    /** runs on the events the store took as new, once they are durable; its failure fails the group */
    private readonly afterCommit: (fresh: Event[]) => Promise<void>,
    private readonly isClosed: () => boolean,
  ) {}

  add(valid: readonly Event[]): Promise<EventCounts> {
    if (valid.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
    return new Promise((resolve, reject) => {
      let g = this.open;
      if (!g || g.events.length >= GROUP_COMMIT_MAX) {
        const fresh: EventGroup = { events: [], waiters: [] };
        g = this.open = fresh;
        const done: Promise<void> = new Promise<void>((r) => setImmediate(r))
          .then(() => this.flush(fresh))
          .finally(() => this.flushing.delete(done));
        this.flushing.add(done);
      }
      g.waiters.push({ from: g.events.length, to: g.events.length + valid.length, resolve, reject });
      for (const e of valid) g.events.push(e);
    });
  }

  /** waits until every group already accepted is written */
  async drain(): Promise<void> {
    while (this.flushing.size > 0) await Promise.all(this.flushing);
  }

  /** one transaction for a group of `add` calls */
  private async flush(g: EventGroup): Promise<void> {
    if (this.open === g) this.open = undefined;
    try {
      if (this.isClosed()) throw new RecError('INTERNAL', 'engine is closed');
      // the insert itself says which events are new (one transaction, no query per event)
      const isNew = new Uint8Array(g.events.length);
      const fresh: Event[] = [];
      await this.store.events.add(g.events, {
        onInserted: (i) => {
          isNew[i] = 1;
          fresh.push(g.events[i]!);
        },
      });
      await this.afterCommit(fresh);
      for (const w of g.waiters) {
        let inserted = 0;
        for (let i = w.from; i < w.to; i++) inserted += isNew[i]!;
        w.resolve({ inserted, duplicates: w.to - w.from - inserted });
      }
    } catch (e) {
      for (const w of g.waiters) w.reject(e);
    }
  }
}

export interface EventTargets {
  model: ScoringModel;
  profiles: Profiles;
  popular: RankedCounts;
  trending: RankedCounts;
}

/** the in-memory part of taking new (already stored) events */
export function applyEvents(t: EventTargets, fresh: readonly Event[]): void {
  const m = t.model;
  const byUser = new Map<string, HistoryEntry[]>();
  for (const e of fresh) {
    const h = t.profiles.entryOf(e);
    if (!h) continue;
    if (h.weight > 0) {
      m.graphs.counts[h.item]! += 1;
      t.popular.bump(h.item);
      t.trending.bump(h.item);
      if (m.useContext && e.context && (e.context.device || e.context.location)) {
        recordContext(m.context, contextKeys(e.context, e.ts), h.item);
      }
    }
    if (!inProfile(e)) continue;
    const list = byUser.get(e.user) ?? [];
    list.push(h);
    byUser.set(e.user, list);
  }
  t.profiles.add(byUser);
}
