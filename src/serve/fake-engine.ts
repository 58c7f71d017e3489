/**
 * A test engine of one rule over a real store, for the route tests: it validates requests with the
 * engine's schemas, as every Engine does, and reads and writes only through the store it is given.
 */
import { RecError } from '../core/errors.ts';
import type { EventInput, Item } from '../core/types.ts';
import { parseEvents, parseRecommendRequest } from '../engine/requests.ts';
import type { Engine } from '../engine/types.ts';
import type { Store } from '../store/types.ts';

export function fakeEngine(store: Store): Engine {
  return {
    async recommend(input) {
      const req = parseRecommendRequest(input);
      if (!(await store.scenarios.list()).some((s) => s.id === req.scenario)) {
        throw new RecError('UNKNOWN_SCENARIO', `unknown scenario "${req.scenario}"`, { field: 'scenario' });
      }
      const items = await store.items.list({ scenario: req.scenario, limit: req.n ?? 10 });
      return {
        user: req.user,
        scenario: req.scenario,
        items: items.map((it, i) => ({
          item: it.id,
          title: it.title,
          scenario: it.scenario,
          score: 1 - i / 100,
          reasons: { retriever: 'fake', history: [], context: [] },
        })),
        retrievers: ['fake'],
        modelVersion: 'fake-1',
      };
    },
    async similarItems() {
      return [];
    },
    async profile(user) {
      return { user, events: 0, fused: [], perScenario: {}, updatedAt: 0 };
    },
    async explain() {
      return { retriever: 'fake', history: [], context: [], score: 0 };
    },
    addEvents: (events: readonly EventInput[]) => store.events.add(parseEvents(events)),
    addEvent: (event: EventInput) => store.events.add(parseEvents([event], '')),
    upsertItems: (items: readonly Item[]) => store.items.upsert(items),
    deleteItem: (id) => store.items.delete(id),
    deleteUser: (user) => store.deleteUser(user),
    scenarios: () => store.scenarios.list(),
    async close() {},
  };
}
