/**
 * Items whose text vectors are near the user's interests and recent items, searched in the target
 * scenario's vector index: this is how a user new to a scenario is served from interests formed in
 * other scenarios, and how an item with no events at all is reachable.
 */
import type { SearchHit, VectorIndex } from '../index/types.ts';
import type { UserProfile } from '../profile/types.ts';
import type { RetrieveRequest, Retriever } from './types.ts';

/**
 * The index's raw answers for a profile (before the request's skip list), kept by whoever can
 * tell when they go stale: they depend on the profile's vectors and the index contents only.
 */
export interface SearchCache {
  getSearch(profile: UserProfile, key: string): SearchHit[][] | undefined;
  setSearch(profile: UserProfile, key: string, hits: SearchHit[][]): void;
}

export function semanticRetriever(
  indexOf: (scenarioCode: number) => VectorIndex | undefined,
  cache?: SearchCache,
): Retriever {
  return {
    name: 'semantic',
    retrieve({ signals: q, k, skip }: RetrieveRequest): number[] {
      const index = indexOf(q.scenarioCode);
      if (!index) return [];
      // the recent items and the two strongest interests: each extra query is another graph walk
      const queries = [...(q.recentVec ? [q.recentVec] : []), ...q.interestVecs.slice(0, 2)];
      if (queries.length === 0) return [];
      const best = new Map<number, number>();
      // the chain merges retrievers round-robin, so this one rarely places more than half of k
      const per = Math.ceil(k / (2 * queries.length)) + 10;
      const key = `${q.scenarioCode}:${per}`;
      let found = cache?.getSearch(q.profile, key);
      if (!found) {
        found = index.searchMany(queries, per);
        cache?.setSearch(q.profile, key, found);
      }
      for (const hits of found) {
        for (const h of hits) {
          if (skip(h.key)) continue;
          best.set(h.key, Math.max(best.get(h.key) ?? Number.NEGATIVE_INFINITY, h.score));
        }
      }
      return [...best.entries()]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, k)
        .map(([i]) => i);
    },
  };
}
