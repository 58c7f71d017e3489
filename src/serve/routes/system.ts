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
    summary:
      "Liveness: the process answers; with a clustered store, bus or cache, each one's state (`degraded` when one is not ok).",
    tag: 'system',
    access: 'public',
    response: healthResponse,
    async handler(_input, ctx) {
      // alive whatever the dependencies' state: each is reported, and a node serves reads without them
      const dependencies = ctx.dependencies ? await ctx.dependencies() : undefined;
      if (!dependencies) return { status: 'ok' };
      const ok = Object.values(dependencies).every((d) => d.status === 'ok');
      return { status: ok ? 'ok' : 'degraded', dependencies };
    },
  }),
  route({
    method: 'GET',
    url: '/ready',
    summary:
      "Readiness: the store answers and the engine knows at least one scenario (503 otherwise); clustered: each dependency's state and whether writes are taken.",
    tag: 'system',
    access: 'public',
    response: readyResponse,
    async handler(_input, ctx) {
      const scenarios = await ctx.scenarioIds();
      if (!ctx.dependencies) {
        await ctx.store.items.count();
        if (scenarios.size === 0) return respond(503, { ready: false, reason: 'no scenarios yet' });
        return { ready: true, scenarios: scenarios.size };
      }
      // ready while reads are served from memory; `writable` says whether writes are taken
      const dependencies = await ctx.dependencies();
      const writable = dependencies.store?.status !== 'down' && dependencies.bus?.status !== 'down';
      if (scenarios.size === 0) {
        return respond(503, { ready: false, reason: 'no scenarios yet', writable, dependencies });
      }
      return { ready: true, scenarios: scenarios.size, writable, dependencies };
    },
  }),
  route({
    method: 'GET',
    url: '/v1/scenarios',
    summary: 'The scenarios the engine serves, with their event weights and repeat rules.',
    tag: 'system',
    access: 'read',
    token: { catalog: true },
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
