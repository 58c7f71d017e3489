import { z } from 'zod';
import { idSchema } from '../../core/types.ts';
import { requireUser, userHistory, userSummary } from '../../engine/browse.ts';
import { tasteMap } from '../../engine/taste-map.ts';
import {
  historyResponse,
  mapResponse,
  profileResponse,
  removedResponse,
  userListResponse,
  userSummaryResponse,
} from '../responses.ts';
import { route } from '../route.ts';
import { countParam, idParams } from './common.ts';

const listQuery = z.strictObject({ after: idSchema.optional(), limit: countParam(50, 1000) });
const historyQuery = z.strictObject({ limit: countParam(50, 1000), scenario: idSchema.optional() });
const mapQuery = z.strictObject({ limit: countParam(300, 2000) });

export const userRoutes = [
  route({
    method: 'GET',
    url: '/v1/users',
    summary: 'List users ordered by id (page with `after`). With pseudonymisation on, ids are pseudonyms.',
    tag: 'users',
    access: 'read',
    query: listQuery,
    response: userListResponse,
    async handler({ query }, ctx) {
      const users = await ctx.store.users.list({
        ...(query.after ? { afterId: query.after } : {}),
        limit: query.limit,
      });
      return { users, next: users.length === query.limit ? users[users.length - 1]?.id : undefined };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/users/:id',
    summary: 'A user and their number of events per scenario.',
    tag: 'users',
    access: 'read',
    params: idParams,
    token: { users: ({ params }) => [params.id] },
    response: userSummaryResponse,
    async handler({ params }, ctx) {
      return userSummary(ctx.store, ctx.pseudonym(params.id));
    },
  }),
  route({
    method: 'DELETE',
    url: '/v1/users/:id',
    summary: 'Erase every trace of a user: events, profile and everything derived.',
    tag: 'users',
    access: 'admin',
    params: idParams,
    response: removedResponse,
    async handler({ params }, ctx) {
      const id = ctx.pseudonym(params.id);
      await requireUser(ctx.store, id);
      return { removed: await ctx.engine.deleteUser(id) };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/users/:id/profile',
    summary: 'Interests of the user, fused across scenarios and per scenario, with labels and summaries.',
    tag: 'users',
    access: 'read',
    params: idParams,
    token: { users: ({ params }) => [params.id] },
    response: profileResponse,
    async handler({ params }, ctx) {
      const id = ctx.pseudonym(params.id);
      await requireUser(ctx.store, id);
      return ctx.engine.profile(id);
    },
  }),
  route({
    method: 'GET',
    url: '/v1/users/:id/history',
    summary: 'Most recent events of the user (newest first), with item titles.',
    tag: 'users',
    access: 'read',
    params: idParams,
    token: { users: ({ params }) => [params.id] },
    query: historyQuery,
    response: historyResponse,
    async handler({ params, query }, ctx) {
      return userHistory(ctx.store, ctx.pseudonym(params.id), query);
    },
  }),
  route({
    method: 'GET',
    url: '/v1/users/:id/map',
    summary:
      "2-D map of the user's taste: acted-on items and interest centres projected by PCA of their vectors.",
    tag: 'users',
    access: 'read',
    params: idParams,
    token: { users: ({ params }) => [params.id] },
    query: mapQuery,
    response: mapResponse,
    async handler({ params, query }, ctx) {
      const id = ctx.pseudonym(params.id);
      await requireUser(ctx.store, id);
      return tasteMap(ctx, id, query.limit);
    },
  }),
];
