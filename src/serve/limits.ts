/**
 * What keeps slow and greedy clients from holding the server: time limits on receiving a request
 * and on idle connections, and a cap on open connections below the process's file limit, so a
 * slowloris (headers or a body trickled byte by byte) is cut off instead of exhausting sockets.
 */
import { readFileSync } from 'node:fs';
import type { Server, ServerOptions } from 'node:http';
import type { Config } from '../config/schema.ts';

type ServerLimits = Pick<
  Config['server'],
  'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs' | 'connectionTimeoutMs' | 'maxConnections'
>;

/** the cap when the file limit is unknown (not Linux) */
const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Fastify's (and so node:http's) timeout options for these limits. */
export function timeoutOptions(s: ServerLimits): {
  requestTimeout: number;
  connectionTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  const headersTimeout =
    s.requestTimeoutMs > 0 ? Math.min(s.headersTimeoutMs, s.requestTimeoutMs) : s.headersTimeoutMs;
  const shortest = s.requestTimeoutMs > 0 ? Math.min(headersTimeout, s.requestTimeoutMs) : headersTimeout;
  return {
    requestTimeout: s.requestTimeoutMs,
    connectionTimeout: s.connectionTimeoutMs,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    http: {
      headersTimeout,
      // node checks the request and headers timeouts on this period (30 s by default): a limit
      // shorter than the period would otherwise be enforced late
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(shortest / 4))),
    },
  };
}

/** The soft open-file limit of this process, from /proc (Linux); undefined elsewhere. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The configured cap, or three quarters of the file limit: the rest stays for the store, logs, models. */
export function connectionCap(configured: number, fileLimit: number | undefined): number {
  if (configured > 0) return configured;
  return fileLimit ? Math.max(16, Math.floor(fileLimit * 0.75)) : DEFAULT_MAX_CONNECTIONS;
}

/** Past the cap node closes a new connection as soon as it is accepted. */
export function capConnections(server: Server, s: ServerLimits): void {
  server.maxConnections = connectionCap(s.maxConnections, openFileLimit());
}
