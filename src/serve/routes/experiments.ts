import { RecError } from '../../core/errors.ts';
import { experimentInputSchema } from '../../engine/experiments.ts';
import type { ExperimentAdmin } from '../../engine/types.ts';
import type { ServerContext } from '../context.ts';
import { route } from '../route.ts';
import { idParams } from './common.ts';

function admin(ctx: ServerContext): ExperimentAdmin {
  if (!ctx.engine.experiments) throw new RecError('NOT_FOUND', 'this engine runs no experiments');
  return ctx.engine.experiments;
}

export const experimentRoutes = [
  route<undefined, undefined, unknown>({
    method: 'POST',
    url: '/v1/experiments',
    summary:
      'Start an online experiment in a scenario: A/B (variants with shares summing to 1, users split by a stable hash) or team-draft interleaving of two variants.',
    tag: 'experiments',
    access: 'admin',
    engineBody: experimentInputSchema,
    status: 201,
    async handler({ body }, ctx) {
      return admin(ctx).create(body);
    },
  }),
  route({
    method: 'GET',
    url: '/v1/experiments',
    summary: 'Every experiment, running and stopped (a read key suffices: definitions and aggregates only).',
    tag: 'experiments',
    access: 'read',
    async handler(_input, ctx) {
      return { experiments: await admin(ctx).list() };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/experiments/:id',
    summary:
      'Per-variant click-through and conversion with 95 % intervals, each variant against the control, and a verdict only when the interval excludes 0 (a read key suffices: aggregates only).',
    tag: 'experiments',
    access: 'read',
    params: idParams,
    async handler({ params }, ctx) {
      return admin(ctx).status(params.id);
    },
  }),
  route({
    method: 'POST',
    url: '/v1/experiments/:id/stop',
    summary: 'Stop an experiment: the scenario is answered without it again; its log and status stay.',
    tag: 'experiments',
    access: 'admin',
    params: idParams,
    async handler({ params }, ctx) {
      return admin(ctx).stop(params.id);
    },
  }),
];
