import { RecError } from '../../core/errors.ts';
import { sessionEventsSchema, withUser } from '../../engine/requests.ts';
import type { SessionEventsRequest } from '../../engine/types.ts';
import { route } from '../route.ts';
import { idParams } from './common.ts';

/** the body as the engine validates it, less the session (the path names it) */
const sessionBody = sessionEventsSchema.omit({ session: true });

export const sessionRoutes = [
  route<{ id: string }, undefined, unknown>({
    method: 'POST',
    url: '/v1/sessions/:id/events',
    summary:
      "Items an anonymous session viewed: kept in memory (`engine.sessions`; with `cache.url` also in Redis, so every node serves it), never in the event log, and used as the history of `/v1/recommend` requests whose `context.session` names the session (no `user`, or a user without history). With `user` the events are also stored as that user's.",
    tag: 'events',
    access: 'admin',
    params: idParams,
    token: { users: ({ body }) => [(body as { user?: unknown } | null)?.user], scope: 'events' },
    engineBody: sessionBody,
    async handler({ params, body }, ctx) {
      if (!ctx.engine.addSessionEvents) throw new RecError('NOT_FOUND', 'this engine keeps no sessions');
      // a body that is no object is validated as an empty one: the error names `events`
      const input = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
      const req = withUser(input as Omit<SessionEventsRequest, 'session'>, ctx.pseudonym);
      return ctx.engine.addSessionEvents({ ...req, session: params.id });
    },
  }),
];
