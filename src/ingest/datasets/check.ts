/**
 * Fast path for validating the events the dataset readers build: the general schema dominated the
 * CPU of reading a large dataset (docs/formats.md). This check accepts only what the schema
 * accepts (a property test holds it to that) and hands anything else to the schema, which then
 * throws its usual error naming the field.
 */
import {
  type Event,
  eventSchema,
  MAX_FUTURE_MS,
  MAX_ID_LENGTH,
  MAX_TEXT_LENGTH,
  SPLITS,
} from '../../core/types.ts';
import { validate } from '../../core/validate.ts';

const EVENT_KEYS = new Set([
  'id',
  'user',
  'item',
  'scenario',
  'type',
  'value',
  'text',
  'ts',
  'context',
  'split',
]);
const TYPE = /^[a-z][a-z0-9_]{0,31}$/;
const SPLIT_SET = new Set<unknown>(SPLITS);

function text(s: unknown, max: number): boolean {
  return typeof s === 'string' && s.length <= max && s.isWellFormed() && !s.includes('\u0000');
}

function id(s: unknown): boolean {
  return text(s, MAX_ID_LENGTH) && (s as string).length > 0 && (s as string).trim() === s;
}

/** True only for events eventSchema accepts unchanged; a `context` is left to the schema. */
export function fastValidEvent(e: Record<string, unknown>, now = Date.now()): boolean {
  for (const k in e) if (!EVENT_KEYS.has(k) || e[k] === undefined) return false;
  if ('context' in e) return false;
  const ts = e.ts;
  return (
    id(e.id) &&
    id(e.user) &&
    id(e.item) &&
    id(e.scenario) &&
    typeof e.type === 'string' &&
    TYPE.test(e.type) &&
    typeof ts === 'number' &&
    Number.isInteger(ts) &&
    ts >= 0 &&
    ts <= now + MAX_FUTURE_MS &&
    (!('value' in e) || (typeof e.value === 'number' && Number.isFinite(e.value))) &&
    (!('text' in e) || text(e.text, MAX_TEXT_LENGTH)) &&
    (!('split' in e) || SPLIT_SET.has(e.split))
  );
}

export function checkEvent(e: Event, location: string): Event {
  return fastValidEvent(e as unknown as Record<string, unknown>) ? e : validate(eventSchema, e, { location });
}
