import { z } from 'zod';
import { type EventInput, eventSchema } from '../../core/types.ts';
import { withUser } from '../../engine/requests.ts';
import { eventCountsResponse } from '../responses.ts';
import { route } from '../route.ts';
import { MAX_BATCH } from './common.ts';

const batchSize = { message: `at most ${MAX_BATCH} events per batch` };

/** the batch's envelope, checked here; each event is validated by the engine */
const batchEnvelope = z.strictObject({ events: z.array(z.unknown()).min(1).max(MAX_BATCH, batchSize) });

export const eventRoutes = [
  // the body as it came (unknown): the engine validates it
  route<undefined, undefined, unknown>({
    method: 'POST',
    url: '/v1/events',
    summary:
      'Record one event. Answered only after the durable commit; idempotent on the event id. The next recommendation for this user reflects it.',
    tag: 'events',
    access: 'admin',
    token: { users: ({ body }) => [(body as { user?: unknown } | null)?.user], scope: 'events' },
    // the engine validates the event, schema and catalog (its error names the field)
    engineBody: eventSchema,
    response: eventCountsResponse,
    async handler({ body }, ctx) {
      return ctx.engine.addEvent(withUser(body as EventInput, ctx.pseudonym));
    },
  }),
  route({
    method: 'POST',
    url: '/v1/events/batch',
    summary: `Record up to ${MAX_BATCH} events in one transaction (all or nothing); idempotent on event ids.`,
    tag: 'events',
    access: 'admin',
    body: batchEnvelope,
    token: {
      users: ({ body }) => body.events.map((e) => (e as { user?: unknown } | null)?.user),
      scope: 'events',
    },
    engineBody: z.strictObject({ events: z.array(eventSchema).min(1).max(MAX_BATCH, batchSize) }),
    response: eventCountsResponse,
    async handler({ body }, ctx) {
      const events = body.events.map((e) => withUser(e as EventInput, ctx.pseudonym));
      return ctx.engine.addEvents(events);
    },
  }),
];
