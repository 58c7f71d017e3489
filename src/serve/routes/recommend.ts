import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { idSchema } from '../../core/types.ts';
import { recommendRequestSchema, withUser } from '../../engine/requests.ts';
import type { RecommendRequest } from '../../engine/types.ts';
import { explainResponse, recommendResponse } from '../responses.ts';
import { route } from '../route.ts';

const explainQuery = z.strictObject({
  user: idSchema,
  item: idSchema,
  device: z.string().max(100).optional(),
  hour: z.coerce.number().int().min(0).max(23).optional(),
});

export const recommendRoutes = [
  // the body as it came (unknown): the engine validates it
  route<undefined, undefined, unknown>({
    method: 'POST',
    url: '/v1/recommend',
    summary:
      'Top-n items for a user in a scenario, for a context, with a diversity knob (MMR lambda); each with score and reasons.',
    tag: 'recommend',
    access: 'read',
    token: { users: ({ body }) => [(body as { user?: unknown } | null)?.user] },
    // the engine validates the request (its error names the field): the body goes on as it came
    engineBody: recommendRequestSchema,
    response: recommendResponse,
    async handler({ body }, ctx) {
      const res = await ctx.engine.recommend(withUser(body as RecommendRequest, ctx.pseudonym));
      ctx.served.modelVersion = res.modelVersion;
      return res;
    },
  }),
  route({
    method: 'GET',
    url: '/v1/explain',
    summary: 'Why an item would be recommended to a user: interest, contributing past items, context, score.',
    tag: 'recommend',
    access: 'read',
    query: explainQuery,
    token: { users: ({ query }) => [query.user] },
    response: explainResponse,
    async handler({ query }, ctx) {
      if (!(await ctx.store.items.get(query.item))) {
        throw new RecError('UNKNOWN_ITEM', `no item "${query.item}"`, { field: 'item' });
      }
      const context: Record<string, string | number> = {};
      if (query.device) context.device = query.device;
      if (query.hour !== undefined) context.hour = query.hour;
      const user = ctx.pseudonym(query.user);
      return { user, item: query.item, ...(await ctx.engine.explain(user, query.item, context)) };
    },
  }),
];
