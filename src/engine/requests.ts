/**
 * The requests the engine takes, one schema each: the engine validates every request with them,
 * whoever calls it (library, CLI, HTTP routes, which pass their input on as it came and document
 * these same schemas). A bad request is a RecError naming its field.
 */
import { z } from 'zod';
import { RecError } from '../core/errors.ts';
import { contextSchema, type Event, type EventInput, eventSchema, idSchema } from '../core/types.ts';
import { validate } from '../core/validate.ts';
import { HOUR_BANDS } from '../model/context.ts';
import { filterInputSchema, filterNameSchema } from './named-filters.ts';
import type { ListRequest, RecommendRequest, SessionEventsRequest } from './types.ts';

const MAX_N = 1000;
/** items per answer when the request does not say */
export const DEFAULT_N = 10;

/** a score adjustment for the items a filter matches (docs/api.md, "Boosts") */
const boostSchema = z
  .strictObject({
    when: filterInputSchema,
    multiply: z.number().min(0).max(1000).optional(),
    add: z.number().min(-1e6).max(1e6).optional(),
  })
  .refine((b) => b.multiply !== undefined || b.add !== undefined, {
    message: 'give multiply, add or both',
    path: ['multiply'],
  });

/** slots of the answer filled from a filter (docs/api.md, "Promotions") */
const promoteSchema = z
  .strictObject({
    filter: filterInputSchema.optional(),
    filterName: filterNameSchema.optional(),
    slots: z.number().int().min(1).max(MAX_N),
    /** `top`: the first slots; `spread`: evenly over the list (positions 0, n/slots, 2n/slots, ...) */
    placement: z.enum(['top', 'spread']).default('top'),
  })
  .refine((p) => (p.filter === undefined) !== (p.filterName === undefined), {
    message: 'give exactly one of filter and filterName',
    path: ['filter'],
  });

export const recommendRequestSchema = z.strictObject({
  /** optional when `context.session` is given: an anonymous session's items are the history */
  user: idSchema.optional().describe('Required unless `context.session` names an anonymous session.'),
  scenario: idSchema,
  n: z.number().int().min(1).max(MAX_N).default(DEFAULT_N),
  /** device, location, session, hour (0-23), weekday (0-6) and free keys */
  context: contextSchema.optional(),
  diversity: z.number().min(0).max(1).optional(),
  exclude: z.array(idSchema).max(10_000).optional(),
  /** only items it matches: an expression (docs/api.md, "Filter language") or its JSON form */
  filter: filterInputSchema.optional(),
  /** a named filter (PUT /v1/filters/:name), and-ed with `filter` */
  filterName: filterNameSchema.optional(),
  boosts: z.array(boostSchema).max(20).optional(),
  promote: promoteSchema.optional(),
});

/** a recommend request after validation: `n` filled in */
export type ValidRecommendRequest = z.output<typeof recommendRequestSchema>;

export function parseRecommendRequest(input: RecommendRequest): ValidRecommendRequest {
  const req = validate(recommendRequestSchema, input);
  if (req.user === undefined && req.context?.session === undefined) {
    throw new RecError('INVALID_INPUT', 'required unless context.session is given', { field: 'user' });
  }
  return req;
}

/**
 * Validates events; a bad one's error names `<field>[i].<its field>` (`events[3].ts`), or its own
 * field alone when `field` is '' and there is one event.
 */
export function parseEvents(input: readonly EventInput[], field = 'events'): Event[] {
  return input.map((e, i) => validate(eventSchema, e, field ? { prefix: `${field}[${i}]` } : {}));
}

/**
 * The request with its `user` replaced by `map(user)` (a pseudonym), when it is a valid id: an
 * invalid one is left for the schema to reject by its field, which its pseudonym would hide.
 */
export function withUser<T>(input: T, map: (id: string) => string): T {
  if (typeof input !== 'object' || input === null || !('user' in input)) return input;
  const user = input.user;
  if (typeof user !== 'string') return input;
  const mapped = map(user);
  if (mapped === user || !idSchema.safeParse(user).success) return input;
  return { ...input, user: mapped };
}

/** a trending, popular or new list's request */
const listRequestSchema = z.strictObject({
  list: z.enum(['trending', 'popular', 'new']),
  scenario: idSchema,
  n: z.number().int().min(1).max(MAX_N).default(DEFAULT_N),
  /** the list of events in this context: a device, an hour band (or an hour of day, 0-23, that names its band) */
  context: z
    .strictObject({
      device: z.string().min(1).max(100).optional(),
      band: z.enum(HOUR_BANDS).optional(),
      hour: z.number().int().min(0).max(23).optional(),
    })
    .optional(),
});

export type ValidListRequest = z.output<typeof listRequestSchema>;

export function parseListRequest(input: ListRequest): ValidListRequest {
  return validate(listRequestSchema, input);
}

/** items an anonymous session viewed; with `user`, they are also stored as that user's events */
export const sessionEventsSchema = z.strictObject({
  session: idSchema,
  user: idSchema.optional(),
  events: z
    .array(
      z.strictObject({
        item: idSchema,
        /** event type, weighted by the item's scenario (default `view`) */
        type: z
          .string()
          .regex(/^[a-z][a-z0-9_]{0,31}$/, { message: 'must be a lower-case name like "view"' })
          .default('view'),
        /** epoch ms; default: now */
        ts: z.number().int().min(0).optional(),
      }),
    )
    .min(1)
    .max(1000),
});

export type ValidSessionEvents = z.output<typeof sessionEventsSchema>;

export function parseSessionEvents(input: SessionEventsRequest): ValidSessionEvents {
  return validate(sessionEventsSchema, input);
}
