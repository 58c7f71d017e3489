import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { idSchema } from '../../core/types.ts';
import type { Interest } from '../../engine/types.ts';
import type { ServerContext } from '../context.ts';
import { centre, project2d } from '../map.ts';
import { route } from '../route.ts';
import { countParam, idParams } from './common.ts';

const listQuery = z.strictObject({ after: idSchema.optional(), limit: countParam(50, 1000) });
const historyQuery = z.strictObject({ limit: countParam(50, 1000), scenario: idSchema.optional() });
const mapQuery = z.strictObject({ limit: countParam(300, 2000) });

async function requireUser(ctx: ServerContext, user: string, field = 'id') {
  const u = await ctx.store.users.get(user);
  if (!u) throw new RecError('UNKNOWN_USER', 'no such user', { field });
  return u;
}

function dominantScenario(mix: Record<string, number>): string {
  let best = '';
  let bestShare = -1;
  for (const [s, share] of Object.entries(mix)) {
    if (share > bestShare) {
      best = s;
      bestShare = share;
    }
  }
  return best;
}

/**
 * The user's taste as a 2-D map: the items they acted on and the centres of their interests
 * (fused and per scenario), projected on the two principal axes of those vectors. A centre is the
 * normalised mean of the vectors of the interest's representative items.
 */
async function tasteMap(user: string, limit: number, ctx: ServerContext) {
  if (!ctx.itemVectors) throw new RecError('ENCODER_UNAVAILABLE', 'no item vectors to draw a map from');
  const [profile, events] = await Promise.all([
    ctx.engine.profile(user),
    ctx.store.events.ofUser(user, { limit }),
  ]);
  const acted = new Map<string, { scenario: string; types: Record<string, number>; lastTs: number }>();
  for (const e of events) {
    const a = acted.get(e.item) ?? { scenario: e.scenario, types: {}, lastTs: 0 };
    a.types[e.type] = (a.types[e.type] ?? 0) + 1;
    a.lastTs = Math.max(a.lastTs, e.ts);
    acted.set(e.item, a);
  }
  const interests: (Interest & { scope: string })[] = [
    ...profile.fused.map((i) => ({ ...i, scope: 'fused' })),
    ...Object.entries(profile.perScenario).flatMap(([s, list]) => list.map((i) => ({ ...i, scope: s }))),
  ];
  const ids = [...new Set([...acted.keys(), ...interests.flatMap((i) => i.topItems)])];
  const vectors = await ctx.itemVectors(ids);
  const itemIds = [...acted.keys()].filter((id) => vectors.has(id));
  const titles = new Map((await ctx.store.items.getMany(itemIds)).map((it) => [it.id, it.title]));
  const centres = interests
    .map((i) => ({ interest: i, v: centre(i.topItems.flatMap((id) => vectors.get(id) ?? [])) }))
    .filter((c): c is { interest: Interest & { scope: string }; v: Float32Array } => c.v !== undefined);
  const itemVecs = itemIds.map((id) => vectors.get(id)!);
  const fit = [...itemVecs, ...centres.map((c) => c.v)];
  const xy = project2d(fit, fit);
  return {
    user,
    method: 'pca',
    items: itemIds.map((id, k) => ({
      id,
      title: titles.get(id) ?? '',
      scenario: acted.get(id)!.scenario,
      types: acted.get(id)!.types,
      lastTs: acted.get(id)!.lastTs,
      x: xy[k]![0],
      y: xy[k]![1],
    })),
    interests: centres.map((c, k) => ({
      id: c.interest.id,
      scope: c.interest.scope,
      label: c.interest.label,
      summary: c.interest.summary,
      weight: c.interest.weight,
      scenario: dominantScenario(c.interest.scenarioMix),
      scenarioMix: c.interest.scenarioMix,
      topItems: c.interest.topItems,
      x: xy[itemIds.length + k]![0],
      y: xy[itemIds.length + k]![1],
    })),
  };
}

export const userRoutes = [
  route({
    method: 'GET',
    url: '/v1/users',
    summary: 'List users ordered by id (page with `after`). With pseudonymisation on, ids are pseudonyms.',
    tag: 'users',
    access: 'read',
    query: listQuery,
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
    async handler({ params }, ctx) {
      const id = ctx.pseudonym(params.id);
      const user = await requireUser(ctx, id);
      const events = await ctx.store.events.ofUser(id);
      const perScenario: Record<string, number> = {};
      for (const e of events) perScenario[e.scenario] = (perScenario[e.scenario] ?? 0) + 1;
      return { ...user, events: events.length, eventsPerScenario: perScenario };
    },
  }),
  route({
    method: 'DELETE',
    url: '/v1/users/:id',
    summary: 'Erase every trace of a user: events, profile and everything derived.',
    tag: 'users',
    access: 'admin',
    params: idParams,
    async handler({ params }, ctx) {
      const id = ctx.pseudonym(params.id);
      await requireUser(ctx, id);
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
    async handler({ params }, ctx) {
      const id = ctx.pseudonym(params.id);
      await requireUser(ctx, id);
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
    query: historyQuery,
    async handler({ params, query }, ctx) {
      const id = ctx.pseudonym(params.id);
      await requireUser(ctx, id);
      const events = await ctx.store.events.ofUser(id, {
        limit: query.limit,
        ...(query.scenario ? { scenario: query.scenario } : {}),
      });
      const titles = new Map(
        (await ctx.store.items.getMany([...new Set(events.map((e) => e.item))])).map((it) => [
          it.id,
          it.title,
        ]),
      );
      return {
        user: id,
        events: events.reverse().map(({ seq: _seq, ...e }) => ({ ...e, title: titles.get(e.item) ?? '' })),
      };
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
    query: mapQuery,
    async handler({ params, query }, ctx) {
      const id = ctx.pseudonym(params.id);
      await requireUser(ctx, id);
      return tasteMap(id, query.limit, ctx);
    },
  }),
];
