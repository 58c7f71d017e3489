import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { idSchema } from '../../core/types.ts';
import type { ListKind } from '../../engine/context-lists.ts';
import type { ListRequest } from '../../engine/types.ts';
import { HOUR_BANDS } from '../../model/context.ts';
import type { ServerContext } from '../context.ts';
import { route } from '../route.ts';
import { countParam } from './common.ts';

const listQuery = z.strictObject({
  scenario: idSchema,
  n: countParam(10, 1000),
  device: z.string().min(1).max(100).optional(),
  band: z.enum(HOUR_BANDS).optional(),
  hour: z.coerce.number().int().min(0).max(23).optional(),
});

const SUMMARIES: Record<ListKind, string> = {
  trending:
    'Trending items of a scenario: events in the last `engine.lists.trendingDays`, each weighted by its age (half-life `trendingHalfLifeDays`); per device and hour band, or overall when the context has too few events (the answer says so).',
  popular:
    'Popular items of a scenario: events in the last `engine.lists.popularDays` (0 = all); per device and hour band, or overall when the context has too few events (the answer says so).',
  new: 'New items of a scenario: `createdAt` within `engine.lists.newDays` of the newest item, newest first.',
};

function listRoute(list: ListKind) {
  return route({
    method: 'GET',
    url: `/v1/${list}`,
    summary: SUMMARIES[list],
    tag: 'lists',
    access: 'read',
    token: { catalog: true },
    query: listQuery,
    async handler({ query }, ctx: ServerContext) {
      if (!ctx.engine.list) throw new RecError('NOT_FOUND', 'this engine keeps no lists');
      const context: NonNullable<ListRequest['context']> = {};
      if (query.device !== undefined) context.device = query.device;
      if (query.band !== undefined) context.band = query.band;
      if (query.hour !== undefined) context.hour = query.hour;
      return ctx.engine.list({
        list,
        scenario: query.scenario,
        n: query.n,
        ...(Object.keys(context).length > 0 ? { context } : {}),
      });
    },
  });
}

export const listRoutes = [listRoute('trending'), listRoute('popular'), listRoute('new')];
