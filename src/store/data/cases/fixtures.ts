/** Rows the data store contract (and the suites built on it) writes. */
import type { Event, Item } from '../../../core/types.ts';

export const T0 = Date.UTC(2024, 0, 1);

export function ev(
  id: string,
  user: string,
  item: string,
  scenario: string,
  ts: number,
  extra: Partial<Event> = {},
): Event {
  return { id, user, item, scenario, type: 'view', ts, ...extra };
}

export function item(id: string, scenario: string, title = id): Item {
  return { id, scenario, title, available: true, tags: ['t'] };
}

export async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}
