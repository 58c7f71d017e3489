import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { contextSchema, idSchema } from '../../core/types.ts';
import type { RecommendRequest } from '../../engine/types.ts';
import { route } from '../route.ts';
import { MAX_BATCH, requireScenario } from './common.ts';

const recommendBody = z.strictObject({
  user: idSchema,
  scenario: idSchema,
  n: z.number().int().min(1).max(200).default(10),
  /** device, location, session, hour (0-23), weekday (0-6) and free keys */
  context: contextSchema.optional(),
  diversity: z.number().min(0).max(1).optional(),
  exclude: z.array(idSchema).max(MAX_BATCH).optional(),
});

const explainQuery = z.strictObject({
  user: idSchema,
  item: idSchema,
  device: z.string().max(100).optional(),
  hour: z.coerce.number().int().min(0).max(23).optional(),
});

export const recommendRoutes = [
  route({
    method: 'POST',
    url: '/v1/recommend',
    summary:
      'Top-n items for a user in a scenario, for a context, with a diversity knob (MMR lambda); each with score and reasons.',
    tag: 'recommend',
    access: 'read',
    body: recommendBody,
    async handler({ body }, ctx) {
      await requireScenario(ctx, body.scenario, 'scenario');
      const req: RecommendRequest = { user: ctx.pseudonym(body.user), scenario: body.scenario, n: body.n };
      if (body.context) req.context = body.context;
      if (body.diversity !== undefined) req.diversity = body.diversity;
      if (body.exclude) req.exclude = body.exclude;
      // the body schema above is stricter than the engine's (n <= 200, exclude <= 1000): not parsed again
      const res = await ctx.engine.recommend(req, { validated: true });
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
