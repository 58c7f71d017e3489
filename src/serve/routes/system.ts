import {
  healthResponse,
  openApiResponse,
  readyResponse,
  scenariosResponse,
  systemResponse,
} from '../responses.ts';
import { respond, route } from '../route.ts';

export const systemRoutes = [
  route({
    method: 'GET',
    url: '/health',
    summary: 'Liveness: the process answers.',
    tag: 'system',
    access: 'public',
    response: healthResponse,
    async handler() {
      return { status: 'ok' };
    },
  }),
  route({
    method: 'GET',
    url: '/ready',
    summary: 'Readiness: the store answers and the engine knows at least one scenario (503 otherwise).',
    tag: 'system',
    access: 'public',
    response: readyResponse,
    async handler(_input, ctx) {
      const scenarios = await ctx.scenarioIds();
      await ctx.store.items.count();
      if (scenarios.size === 0) return respond(503, { ready: false, reason: 'no scenarios yet' });
      return { ready: true, scenarios: scenarios.size };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/scenarios',
    summary: 'The scenarios the engine serves, with their event weights and repeat rules.',
    tag: 'system',
    access: 'read',
    response: scenariosResponse,
    async handler(_input, ctx) {
      return { scenarios: await ctx.engine.scenarios() };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/system',
    summary: 'Counts per scenario, model versions and request latency percentiles (last 4096 per route).',
    tag: 'system',
    access: 'read',
    response: systemResponse,
    async handler(_input, ctx) {
      return {
        counts: await ctx.cachedStats(),
        versions: {
          ...(ctx.versions ? await ctx.versions() : {}),
          model: ctx.served.modelVersion ?? '(no recommendation served yet)',
        },
        latency: ctx.latency.snapshot(),
        memory: { rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) },
        node: process.version,
      };
    },
  }),
  route({
    method: 'GET',
    url: '/openapi.json',
    summary: 'This OpenAPI 3.1 document.',
    tag: 'system',
    access: 'public',
    response: openApiResponse,
    async handler(_input, ctx) {
      return ctx.openapi();
    },
  }),
];
