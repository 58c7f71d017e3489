import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { type Event, eventSchema } from '../../core/types.ts';
import type { ServerContext } from '../context.ts';
import { route } from '../route.ts';
import { MAX_BATCH } from './common.ts';

const batchBody = z.strictObject({
  events: z
    .array(eventSchema)
    .min(1)
    .max(MAX_BATCH, { message: `at most ${MAX_BATCH} events per batch` }),
});

/**
 * Checks what the schema cannot: the scenario exists and the item exists in that scenario.
 * Nothing is written unless every event passes, so a bad batch changes nothing.
 */
async function checkAndPseudonymise(
  events: readonly Event[],
  ctx: ServerContext,
  prefix: (i: number) => string,
) {
  const scenarios = await ctx.scenarioIds();
  const ids = [...new Set(events.map((e) => e.item))];
  const items = await ctx.store.items.scenariosOf(ids);
  return events.map((e, i) => {
    if (!scenarios.has(e.scenario)) {
      throw new RecError('UNKNOWN_SCENARIO', `unknown scenario "${e.scenario}"`, {
        field: `${prefix(i)}scenario`,
      });
    }
    const itemScenario = items.get(e.item);
    if (itemScenario === undefined) {
      throw new RecError('UNKNOWN_ITEM', `no item "${e.item}"`, { field: `${prefix(i)}item` });
    }
    if (itemScenario !== e.scenario) {
      throw new RecError('INVALID_INPUT', `item "${e.item}" belongs to scenario "${itemScenario}"`, {
        field: `${prefix(i)}scenario`,
      });
    }
    return { ...e, user: ctx.pseudonym(e.user) };
  });
}

export const eventRoutes = [
  route({
    method: 'POST',
    url: '/v1/events',
    summary:
      'Record one event. Answered only after the durable commit; idempotent on the event id. The next recommendation for this user reflects it.',
    tag: 'events',
    access: 'admin',
    body: eventSchema,
    async handler({ body }, ctx) {
      const events = await checkAndPseudonymise([body], ctx, () => '');
      // the route's schema already parsed them: no second validation
      return ctx.engine.addEvents(events, { validated: true });
    },
  }),
  route({
    method: 'POST',
    url: '/v1/events/batch',
    summary: `Record up to ${MAX_BATCH} events in one transaction (all or nothing); idempotent on event ids.`,
    tag: 'events',
    access: 'admin',
    body: batchBody,
    async handler({ body }, ctx) {
      const events = await checkAndPseudonymise(body.events, ctx, (i) => `events[${i}].`);
      // the route's schema already parsed them: no second validation
      return ctx.engine.addEvents(events, { validated: true });
    },
  }),
];
