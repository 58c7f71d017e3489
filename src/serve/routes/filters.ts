/** Named filters: stored server-side, referenced by requests as `filterName` or `promote.filterName`. */
import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { filterNameSchema, namedFilterBodySchema } from '../../engine/named-filters.ts';
import type { FilterAdmin } from '../../engine/types.ts';
import type { ServerContext } from '../context.ts';
import { route } from '../route.ts';

const nameParams = z.strictObject({ name: filterNameSchema });

function admin(ctx: ServerContext): FilterAdmin {
  if (!ctx.engine.filters) throw new RecError('INTERNAL', 'this engine keeps no named filters');
  return ctx.engine.filters;
}

export const filterRoutes = [
  route({
    method: 'GET',
    url: '/v1/filters',
    summary: 'The named filters, by name.',
    tag: 'filters',
    access: 'read',
    async handler(_input, ctx) {
      return { filters: await admin(ctx).list() };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/filters/:name',
    summary: 'One named filter.',
    tag: 'filters',
    access: 'read',
    params: nameParams,
    async handler({ params }, ctx) {
      const f = await admin(ctx).get(params.name);
      if (!f) throw new RecError('NOT_FOUND', `no named filter "${params.name}"`, { field: 'name' });
      return f;
    },
  }),
  route({
    method: 'PUT',
    url: '/v1/filters/:name',
    summary:
      'Store a named filter (expression text or its JSON form), parsed and type-checked against the catalog first: a bad one is a 400 naming its position, and nothing is stored.',
    tag: 'filters',
    access: 'admin',
    params: nameParams,
    body: namedFilterBodySchema,
    async handler({ params, body }, ctx) {
      return admin(ctx).set(params.name, body);
    },
  }),
  route({
    method: 'DELETE',
    url: '/v1/filters/:name',
    summary: 'Delete a named filter.',
    tag: 'filters',
    access: 'admin',
    params: nameParams,
    async handler({ params }, ctx) {
      if (!(await admin(ctx).delete(params.name)))
        throw new RecError('NOT_FOUND', `no named filter "${params.name}"`, { field: 'name' });
      return { deleted: params.name };
    },
  }),
];
