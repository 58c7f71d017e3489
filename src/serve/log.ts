/**
 * The server's request log without personal data: a request is logged by its route pattern
 * (`/v1/users/:id`, never the id), the names of its query parameters without their values, and no
 * client address, so nothing logged names a user and erasing a user needs nothing erased here.
 * `docs/security.md` lists what is logged.
 */
import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/** `/v1/users/:id?limit=…`: the matched route and the query's parameter names */
function redactedUrl(request: Pick<FastifyRequest, 'url' | 'routeOptions'>): string {
  const route = request.routeOptions?.url ?? '(no route)';
  const at = request.url.indexOf('?');
  if (at < 0) return route;
  const names = [...new URLSearchParams(request.url.slice(at + 1)).keys()];
  return names.length === 0
    ? route
    : `${route}?${[...new Set(names)].map((n) => `${safeName(n)}=…`).join('&')}`;
}

/** a parameter name is the client's text too: anything but a plain name is not repeated */
function safeName(name: string): string {
  return /^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(name) ? name : '…';
}

/** pino settings for `serve` at `level`, writing to `stream` (default: stdout) */
export function serverLogger(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: redactedUrl(request) }),
    },
  };
}
