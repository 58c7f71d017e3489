import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { createPseudonymiser } from '../core/privacy.ts';
import { MAX_ID_LENGTH } from '../core/types.ts';
import { validate } from '../core/validate.ts';
import type { StoreStats } from '../store/types.ts';
import { KeyChecker, presentedKey, sha256Hex } from './auth.ts';
import type { ServeDeps, ServerContext } from './context.ts';
import { toErrorResponse } from './errors.ts';
import { LatencyRecorder } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { type RouteSpec, StatusReply } from './route.ts';
import { eventRoutes } from './routes/events.ts';
import { itemRoutes } from './routes/items.ts';
import { modelRoutes } from './routes/models.ts';
import { recommendRoutes } from './routes/recommend.ts';
import { systemRoutes } from './routes/system.ts';
import { userRoutes } from './routes/users.ts';
import { loadStaticFiles } from './static.ts';

const ROUTES: readonly RouteSpec[] = [
  ...systemRoutes,
  ...itemRoutes,
  ...userRoutes,
  ...eventRoutes,
  ...recommendRoutes,
  ...modelRoutes,
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
 * The caller owns the engine and store and closes them after `app.close()`.
 */
export async function buildServer(
  deps: ServeDeps,
  config: Config,
  opts: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const server = config.server;
  const keys = new KeyChecker(server);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: server.bodyLimitBytes,
    // ids may be up to MAX_ID_LENGTH (256) characters, percent-encoded; the schema names the field
    routerOptions: { maxParamLength: 4 * MAX_ID_LENGTH },
    // router-level errors (bad URL encoding, oversized path parameters) get the same JSON shape
    frameworkErrors: (err, _request, reply) => {
      const { status, body } = toErrorResponse(err);
      void (reply as FastifyReply).code(status).type('application/json').send(body);
    },
  });

  let scenarioCache: Promise<Set<string>> | undefined;
  let statsCache: { at: number; value: Promise<StoreStats> } | undefined;
  let openapi: Record<string, unknown> | undefined;
  const ctx: ServerContext = {
    ...deps,
    config: server,
    pseudonym: createPseudonymiser(config.privacy),
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
  };

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
    const { status, body, internal } = toErrorResponse(err);
    if (internal) request.log.error({ err }, 'internal error');
    void reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: new RecError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON(),
    });
  });

  if (server.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: server.rateLimitPerMinute,
      timeWindow: 60_000,
      // per key when one is presented (keys are hashed so they never sit in memory in clear), else per IP
      keyGenerator: (req) => {
        const key = presentedKey(req.headers);
        return key ? `k:${sha256Hex(key)}` : `ip:${req.ip}`;
      },
      errorResponseBuilder: (_req, c) =>
        new RecError('RATE_LIMITED', `more than ${c.max} requests per minute`, { field: 'authorization' }),
    });
  }

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access) keys.check(access, presentedKey(request.headers));
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
    if (url && !url.startsWith('/web/')) ctx.latency.record(`${request.method} ${url}`, reply.elapsedTime);
  });

  for (const spec of ROUTES) {
    app.route({
      method: spec.method,
      url: spec.url,
      config: { access: spec.access },
      handler: async (request, reply) => {
        const input = {
          params: spec.params ? validate(spec.params, request.params) : undefined,
          query: spec.query ? validate(spec.query, request.query ?? {}) : undefined,
          // without a schema of its own the body goes on as it came (`engineBody`: the engine checks it)
          body: spec.body ? validate(spec.body, request.body) : request.body,
        };
        const result = await spec.handler(input, ctx);
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

  catalogChangedOf.set(app, () => ctx.catalogChanged());
  return app;
}
