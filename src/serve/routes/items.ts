import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { idSchema, itemSchema } from '../../core/types.ts';
import {
  deletedResponse,
  itemListResponse,
  itemResponse,
  similarResponse,
  upsertedResponse,
} from '../responses.ts';
import { route } from '../route.ts';
import { countParam, idParams, MAX_BATCH, requireScenario } from './common.ts';

const listQuery = z.strictObject({
  scenario: idSchema.optional(),
  after: idSchema.optional(),
  limit: countParam(50, 1000),
});

const batchBody = z.strictObject({
  items: z
    .array(itemSchema)
    .min(1)
    .max(MAX_BATCH, { message: `at most ${MAX_BATCH} items per batch` }),
});

const similarQuery = z.strictObject({
  n: countParam(10, 200),
  scenario: idSchema.optional(),
  /** the user shown the answer: it is logged as their impression, so their clicks are credited to it */
  user: idSchema.optional(),
});

export const itemRoutes = [
  route({
    method: 'GET',
    url: '/v1/items',
    summary: 'List items ordered by id, optionally of one scenario (page with `after`).',
    tag: 'items',
    access: 'read',
    token: { catalog: true },
    query: listQuery,
    response: itemListResponse,
    async handler({ query }, ctx) {
      const items = await ctx.store.items.list({
        ...(query.scenario ? { scenario: query.scenario } : {}),
        ...(query.after ? { afterId: query.after } : {}),
        limit: query.limit,
      });
      return { items, next: items.length === query.limit ? items[items.length - 1]?.id : undefined };
    },
  }),
  route({
    method: 'PUT',
    url: '/v1/items/:id',
    summary: 'Insert or replace one item; its vector is re-encoded when its text changed.',
    tag: 'items',
    access: 'admin',
    params: idParams,
    body: itemSchema,
    response: upsertedResponse,
    async handler({ params, body }, ctx) {
      if (body.id !== params.id) {
        throw new RecError('INVALID_INPUT', `body id "${body.id}" differs from the path id`, { field: 'id' });
      }
      await requireScenario(ctx, body.scenario, 'scenario');
      await ctx.engine.upsertItems([body]);
      ctx.catalogChanged();
      return { upserted: 1 };
    },
  }),
  route({
    method: 'POST',
    url: '/v1/items/batch',
    summary: `Insert or replace up to ${MAX_BATCH} items in one transaction.`,
    tag: 'items',
    access: 'admin',
    body: batchBody,
    response: upsertedResponse,
    async handler({ body }, ctx) {
      for (const [i, item] of body.items.entries())
        await requireScenario(ctx, item.scenario, `items[${i}].scenario`);
      await ctx.engine.upsertItems(body.items);
      ctx.catalogChanged();
      return { upserted: body.items.length };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/items/:id',
    summary: 'One item.',
    tag: 'items',
    access: 'read',
    token: { catalog: true },
    params: idParams,
    response: itemResponse,
    async handler({ params }, ctx) {
      const item = await ctx.store.items.get(params.id);
      if (!item) throw new RecError('UNKNOWN_ITEM', `no item "${params.id}"`, { field: 'id' });
      return item;
    },
  }),
  route({
    method: 'DELETE',
    url: '/v1/items/:id',
    summary: 'Delete an item; it is no longer recommended.',
    tag: 'items',
    access: 'admin',
    params: idParams,
    response: deletedResponse,
    async handler({ params }, ctx) {
      const deleted = await ctx.engine.deleteItem(params.id);
      if (!deleted) throw new RecError('UNKNOWN_ITEM', `no item "${params.id}"`, { field: 'id' });
      ctx.catalogChanged();
      return { deleted: true };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/items/:id/similar',
    summary:
      'Items most similar to this one (content and co-consumption), optionally in one scenario; with `user`, logged as their impression (`recommendationId`).',
    tag: 'items',
    access: 'read',
    token: { catalog: true },
    params: idParams,
    query: similarQuery,
    response: similarResponse,
    async handler({ params, query }, ctx, caller) {
      if (!(await ctx.store.items.get(params.id))) {
        throw new RecError('UNKNOWN_ITEM', `no item "${params.id}"`, { field: 'id' });
      }
      if (query.scenario) await requireScenario(ctx, query.scenario, 'scenario');
      // a user token may log impressions for its own user only
      if (
        query.user &&
        caller.tokenUser !== undefined &&
        ctx.pseudonym(query.user) !== ctx.pseudonym(caller.tokenUser)
      )
        throw new RecError('TOKEN_SCOPE', 'this token is for another user', { field: 'user' });
      const items = await ctx.engine.similarItems(params.id, query.n, query.scenario);
      const user = query.user === undefined ? undefined : ctx.pseudonym(query.user);
      const recommendationId = ctx.engine.logAnswer?.(user, query.scenario ?? items[0]?.scenario, items);
      return { item: params.id, items, ...(recommendationId ? { recommendationId } : {}) };
    },
  }),
];
