/** The row shape both backends read an event back in, and its conversion. */
import type { Split } from '../../core/types.ts';
import type { StoredEvent } from './types.ts';

export interface EventRow {
  seq: number;
  id: string;
  user: string;
  item: string;
  scenario: string;
  type: string;
  value: number | null;
  text: string | null;
  ts: number;
  context: string | null;
  split: string | null;
}

export function toEvent(r: EventRow): StoredEvent {
  const e: StoredEvent = {
    seq: r.seq,
    id: r.id,
    user: r.user,
    item: r.item,
    scenario: r.scenario,
    type: r.type,
    ts: r.ts,
  };
  if (r.value !== null) e.value = r.value;
  if (r.text !== null) e.text = r.text;
  if (r.context !== null) e.context = JSON.parse(r.context);
  if (r.split !== null) e.split = r.split as Split;
  return e;
}
