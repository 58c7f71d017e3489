import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { createPseudonymiser } from '../core/privacy.ts';
import { MAX_ID_LENGTH } from '../core/types.ts';
import { validate } from '../core/validate.ts';
import type { StoreStats } from '../store/types.ts';
import type { ServeDeps, ServerContext } from './context.ts';
import { toErrorResponse } from './errors.ts';
import {
  authorizeTokenRoute,
  authorizeTokenUsers,
  type FailureCounter,
  Guard,
  type Principal,
  tenantKeys,
} from './guard.ts';
import { capConnections, timeoutOptions } from './limits.ts';
import { LatencyRecorder } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { type RouteSpec, StatusReply } from './route.ts';
import { eventRoutes } from './routes/events.ts';
import { experimentRoutes } from './routes/experiments.ts';
import { filterRoutes } from './routes/filters.ts';
import { itemRoutes } from './routes/items.ts';
import { listRoutes } from './routes/lists.ts';
import { modelRoutes } from './routes/models.ts';
import { recommendRoutes } from './routes/recommend.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { systemRoutes } from './routes/system.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { userRoutes } from './routes/users.ts';
import { sharedLimitStore } from './shared-limits.ts';
import { loadStaticFiles } from './static.ts';
import { TokenSigner } from './tokens.ts';

const ROUTES: readonly RouteSpec[] = [
  ...systemRoutes,
  ...itemRoutes,
  ...userRoutes,
  ...eventRoutes,
  ...recommendRoutes,
  ...filterRoutes,
  ...listRoutes,
  ...sessionRoutes,
  ...tokenRoutes,
  ...modelRoutes,
  ...experimentRoutes,
];

const STATS_TTL_MS = 5000;
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  // colours are set per element as CSS custom properties in style attributes
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
const API_VERSION = '1.0.0';

export interface BuildServerOptions {
  /** fastify/pino logger settings; off by default (tests, benchmarks) */
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: 'public' | 'read' | 'admin';
  }
}

/** JSON bodies must be valid UTF-8: a malformed byte is an error, not a silent U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** each server's catalog-cache reset, for writes made by another process (src/serve/cluster.ts) */
export const catalogChangedOf = new WeakMap<FastifyInstance, () => void>();

/**
 * Builds (but does not start) the HTTP server: routes, validation, keys, limits, dashboard.
 * `deps` is the one tenant's engine and store, or each configured tenant's by id
 * (`server.tenants`); a request acts on the tenant of the key or token it presents.
 * The caller owns the engines and stores and closes them after `app.close()`.
 */
export async function buildServer(
  deps: ServeDeps | ReadonlyMap<string, ServeDeps>,
  config: Config,
  opts: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const server = config.server;
  const tenants = tenantDeps(deps, config);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: server.bodyLimitBytes,
    ...timeoutOptions(server),
    // ids may be up to MAX_ID_LENGTH (256) characters, percent-encoded; the schema names the field
    routerOptions: { maxParamLength: 4 * MAX_ID_LENGTH },
    // router-level errors (bad URL encoding, oversized path parameters) get the same JSON shape
    frameworkErrors: (err, _request, reply) => {
      const { status, body } = toErrorResponse(err);
      void (reply as FastifyReply).code(status).type('application/json').send(body);
    },
  });

  let openapi: Record<string, unknown> | undefined;
  const pseudonym = createPseudonymiser(config.privacy);
  const tokens = server.tokenSecret ? new TokenSigner(server.tokenSecret) : undefined;
  /** one context per tenant: its engine, store, caches and latency, seen by its keys only */
  const contextOf = (deps: ServeDeps): ServerContext => {
    let scenarioCache: Promise<Set<string>> | undefined;
    let statsCache: { at: number; value: Promise<StoreStats> } | undefined;
    const ctx: ServerContext = {
      ...deps,
      config: server,
      pseudonym,
      latency: new LatencyRecorder(),
      served: {},
      scenarioIds() {
        scenarioCache ??= deps.engine.scenarios().then((list) => new Set(list.map((s) => s.id)));
        scenarioCache.catch(() => {
          scenarioCache = undefined;
        });
        return scenarioCache;
      },
      catalogChanged() {
        scenarioCache = undefined;
        statsCache = undefined;
      },
      cachedStats() {
        if (!statsCache || Date.now() - statsCache.at > STATS_TTL_MS) {
          statsCache = { at: Date.now(), value: deps.store.stats() };
        }
        return statsCache.value;
      },
      openapi() {
        openapi ??= buildOpenApi(ROUTES, API_VERSION);
        return openapi;
      },
      ...(tokens ? { tokens } : {}),
    };
    return ctx;
  };
  const contexts = new Map([...tenants].map(([id, d]) => [id, contextOf(d)]));
  const principals = new WeakMap<FastifyRequest, Principal>();
  const contextFor = (request: FastifyRequest): ServerContext =>
    contexts.get(principals.get(request)?.tenant ?? guard.keys.defaultTenant)!;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, raw, done) => {
    const buf = raw as Buffer;
    if (buf.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      return done(new RecError('PARSE_ERROR', 'body is not valid UTF-8', { field: 'body' }), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(
        new RecError('PARSE_ERROR', `body is not valid JSON: ${(e as Error).message}`, { field: 'body' }),
        undefined,
      );
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const { status, body, internal, retryAfter } = toErrorResponse(err);
    if (internal) request.log.error({ err }, 'internal error');
    if (retryAfter) void reply.header('retry-after', String(retryAfter));
    void reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: new RecError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON(),
    });
  });

  let failures: FailureCounter | undefined;
  const sharedCounters = [...tenants.values()].find((d) => d.sharedCounters)?.sharedCounters;
  if (server.rateLimitPerMinute > 0 || server.authFailuresPerMinute > 0) {
    await app.register(rateLimit, {
      global: server.rateLimitPerMinute > 0,
      max: server.rateLimitPerMinute,
      timeWindow: 60_000,
      // counted in the cache the nodes share, when there is one
      ...(sharedCounters ? { store: sharedLimitStore(sharedCounters) } : {}),
      // per valid key or token (a digest, never the key in clear); anything else per client IP,
      // so an invented key does not open a bucket of its own
      keyGenerator: (req) => principals.get(req)?.bucket ?? `ip:${req.ip}`,
      errorResponseBuilder: (_req, c) =>
        new RecError('RATE_LIMITED', `more than ${c.max} requests per minute`, { field: 'authorization' }),
    });
    if (server.authFailuresPerMinute > 0) {
      const count = app.createRateLimit({
        max: server.authFailuresPerMinute,
        timeWindow: 60_000,
        keyGenerator: (req) => `authfail:${req.ip}`,
      });
      failures = {
        async lockedFor(req) {
          const r = await count(req, { increment: false });
          return !r.isAllowed && r.remaining === 0 ? Math.max(1, r.ttlInSeconds) : undefined;
        },
        async failed(req) {
          await count(req);
        },
      };
    }
  }
  const guard = new Guard(server, tokens, failures);

  // app-level, so it runs before the rate limiter's route-level hook, which buckets by principal
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (access && access !== 'public')
      principals.set(request, await guard.authenticate(request, reply, access));
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    // the dashboard loads nothing from elsewhere and runs no inline script
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      void reply.header('content-security-policy', DASHBOARD_CSP).header('x-frame-options', 'DENY');
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const url = request.routeOptions.url;
    // with several tenants a request no key vouched for is nobody's to count
    if (!url || url.startsWith('/web/') || (contexts.size > 1 && !principals.has(request))) return;
    contextFor(request).latency.record(`${request.method} ${url}`, reply.elapsedTime);
  });

  for (const spec of ROUTES) {
    app.route({
      method: spec.method,
      url: spec.url,
      config: { access: spec.access },
      handler: async (request, reply) => {
        const principal = principals.get(request);
        if (principal?.token) authorizeTokenRoute(spec, principal.token);
        const input = {
          params: spec.params ? validate(spec.params, request.params) : undefined,
          query: spec.query ? validate(spec.query, request.query ?? {}) : undefined,
          // without a schema of its own the body goes on as it came (`engineBody`: the engine checks it)
          body: spec.body ? validate(spec.body, request.body) : request.body,
        };
        const ctx = contextFor(request);
        if (principal?.token) authorizeTokenUsers(spec, input, principal.token, ctx.pseudonym);
        const caller = {
          tenant: principal?.tenant ?? guard.keys.defaultTenant,
          mayWrite: principal?.level === 'admin' || (principal?.level !== 'token' && guard.keys.writesOpen),
          ...(principal?.token ? { tokenUser: principal.token.user } : {}),
        };
        const result = await spec.handler(input, ctx, caller);
        if (result instanceof StatusReply) return reply.code(result.status).send(result.body);
        return reply.code(spec.status ?? 200).send(result);
      },
    });
  }

  const files = await loadStaticFiles();
  app.get('/', { config: { access: 'public' } }, async (_req, reply) => reply.redirect('/web/index.html'));
  app.get('/web/*', { config: { access: 'public' } }, async (request, reply) => {
    const file = files.get(request.url.split('?')[0]!);
    if (!file) throw new RecError('NOT_FOUND', 'no such file', { field: 'path' });
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  });

  capConnections(app.server, server);
  catalogChangedOf.set(app, () => {
    for (const ctx of contexts.values()) ctx.catalogChanged();
  });
  return app;
}

/** The engines by tenant id, checked against the configured tenants. */
function tenantDeps(
  deps: ServeDeps | ReadonlyMap<string, ServeDeps>,
  config: Config,
): Map<string, ServeDeps> {
  const ids = tenantKeys(config.server).map((t) => t.id);
  if (!(deps instanceof Map)) {
    if (ids.length !== 1) {
      throw new RecError('INVALID_CONFIG', 'server.tenants needs one engine per tenant', {
        field: 'server.tenants',
      });
    }
    return new Map([[ids[0]!, deps as ServeDeps]]);
  }
  const missing = ids.filter((id) => !deps.has(id));
  if (missing.length > 0 || deps.size !== ids.length) {
    throw new RecError('INVALID_CONFIG', `engines given for [${[...deps.keys()]}], tenants are [${ids}]`, {
      field: 'server.tenants',
    });
  }
  return new Map(deps);
}
