/**
 * Read-only pages over the store for the API's browse endpoints (a user and their history): what
 * the routes show besides recommendations, kept out of the routes so they only translate HTTP.
 */
import { RecError } from '../core/errors.ts';
import type { Event, User } from '../core/types.ts';
import type { Store } from '../store/types.ts';

/** the user, or UNKNOWN_USER naming `field` */
export async function requireUser(store: Store, user: string, field = 'id'): Promise<User> {
  const u = await store.users.get(user);
  if (!u) throw new RecError('UNKNOWN_USER', 'no such user', { field });
  return u;
}

/** the user with their number of events, in all and per scenario */
export async function userSummary(
  store: Store,
  user: string,
): Promise<User & { events: number; eventsPerScenario: Record<string, number> }> {
  const u = await requireUser(store, user);
  const events = await store.events.ofUser(user);
  const perScenario: Record<string, number> = {};
  for (const e of events) perScenario[e.scenario] = (perScenario[e.scenario] ?? 0) + 1;
  return { ...u, events: events.length, eventsPerScenario: perScenario };
}

/** the user's most recent events, newest first, each with its item's title */
export async function userHistory(
  store: Store,
  user: string,
  q: { limit: number; scenario?: string | undefined },
): Promise<{ user: string; events: (Event & { title: string })[] }> {
  await requireUser(store, user);
  const events = await store.events.ofUser(user, {
    limit: q.limit,
    ...(q.scenario ? { scenario: q.scenario } : {}),
  });
  const titles = new Map(
    (await store.items.getMany([...new Set(events.map((e) => e.item))])).map((it) => [it.id, it.title]),
  );
  return {
    user,
    events: events.reverse().map(({ seq: _seq, ...e }) => ({ ...e, title: titles.get(e.item) ?? '' })),
  };
}
