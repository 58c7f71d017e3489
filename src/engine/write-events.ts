/**
 * Taking events: once the bus has made them durable (src/bus/), applied to the in-memory state
 * (counts, popular and trending lists, context statistics, cached profiles) so the very next
 * request reflects them.
 */
import type { Event } from '../core/types.ts';
import { contextKeys, recordContext } from '../model/context.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { HistoryEntry } from '../profile/types.ts';
import type { ContextLists } from './context-lists.ts';
import type { RankedCounts } from './lists.ts';
import type { Profiles } from './profiles.ts';
import { inProfile } from './score-all.ts';

export interface EventTargets {
  model: ScoringModel;
  profiles: Profiles;
  popular: RankedCounts;
  trending: RankedCounts;
  lists: ContextLists;
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
      t.lists.add(m.scenarioCode[h.item]!, h.item, e.user, e.ts, e.context);
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
