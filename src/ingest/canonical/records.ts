import { RecError } from '../../core/errors.ts';
import { eventSchema, itemSchema, scenarioSchema, userSchema } from '../../core/types.ts';
import { validate } from '../../core/validate.ts';
import type { ImportRecord, RecordKind } from '../types.ts';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Timestamps are epoch milliseconds; ISO 8601 text (`2024-05-01T12:00:00Z`) is accepted too.
 * Anything else is left as is for the schema to reject with its field name.
 */
function coerceTimestamp(v: unknown): unknown {
  if (typeof v !== 'string' || !ISO_DATE.test(v)) return v;
  // Date.parse rolls impossible days over (Feb 30 -> Mar 1); such text stays text and is refused.
  const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return v;
  const t = Date.parse(v);
  return Number.isNaN(t) ? v : t;
}

const KINDS: readonly RecordKind[] = ['scenario', 'item', 'user', 'event'];

/** Validates one canonical record, given as a plain object with a `kind`, into an ImportRecord. */
export function toRecord(obj: unknown, location: string): ImportRecord {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new RecError('INVALID_INPUT', 'each line must be a JSON object', { field: '(root)', location });
  const { kind, ...rest } = obj as Record<string, unknown>;
  switch (kind) {
    case 'scenario': {
      // `kind` already names the record type, so a scenario's own kind travels as `scenarioKind`.
      const { scenarioKind, ...fields } = rest;
      try {
        return {
          kind,
          value: validate(scenarioSchema, { ...fields, kind: scenarioKind }, { location }),
          location,
        };
      } catch (e) {
        if (e instanceof RecError && e.field === 'kind')
          throw new RecError('INVALID_INPUT', e.message.slice(e.message.indexOf(': ') + 2), {
            field: 'scenarioKind',
            location,
          });
        throw e;
      }
    }
    case 'item':
      if ('createdAt' in rest) rest.createdAt = coerceTimestamp(rest.createdAt);
      return { kind, value: validate(itemSchema, rest, { location }), location };
    case 'user':
      return { kind, value: validate(userSchema, rest, { location }), location };
    case 'event':
      if ('ts' in rest) rest.ts = coerceTimestamp(rest.ts);
      return { kind, value: validate(eventSchema, rest, { location }), location };
    default:
      throw new RecError(
        'INVALID_INPUT',
        `"kind" must be one of ${KINDS.join(', ')}, got ${JSON.stringify(kind) ?? 'nothing'}`,
        { field: 'kind', location },
      );
  }
}
