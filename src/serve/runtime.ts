/**
 * What `serve` and `up` run: the config's components and the engine over them, opened together
 * and closed together, and a server started until a signal. No logic of its own beyond wiring;
 * every implementation comes from the composition root (engine/create.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { createPseudonymiser, type Pseudonymiser } from '../core/privacy.ts';
import type { Encoder } from '../encode/types.ts';
import { type ComponentOverrides, createComponents, createEngine } from '../engine/create.ts';
import { storedVectors } from '../engine/taste-map.ts';
import type { Engine } from '../engine/types.ts';
import type { Store } from '../store/types.ts';
import { buildServer, catalogChangedOf } from './app.ts';
import { DEFAULT_TENANT } from './auth.ts';
import type { ServeDeps } from './context.ts';
import { serverLogger } from './log.ts';

export interface Runtime {
  config: Config;
  store: Store;
  /** null when the runtime was opened without one (no text vectors) */
  encoder: Encoder | null;
  engine: Engine;
  pseudonym: Pseudonymiser;
  deps: ServeDeps;
  /** each tenant's engine and store by id: the one above alone (`default`) without `server.tenants` */
  tenants: ReadonlyMap<string, ServeDeps>;
  close(): Promise<void>;
}

/**
 * The config's store and encoder (or the given ones) and the engine over them; with
 * `server.tenants`, one store and engine per tenant (its `store.url` through `openStore`, so any
 * backend), sharing one encoder. The fields other than `tenants` are then the first tenant's.
 */
export async function openRuntime(config: Config, overrides: ComponentOverrides = {}): Promise<Runtime> {
  const tenants = config.server.tenants;
  if (tenants.length === 0) {
    const rt = await openOne(config, overrides);
    return { ...rt, tenants: new Map([[DEFAULT_TENANT, rt.deps]]) };
  }
  if (overrides.store) {
    throw new RecError('INVALID_CONFIG', 'with server.tenants each tenant opens its own store', {
      field: 'server.tenants',
    });
  }
  const opened: Omit<Runtime, 'tenants'>[] = [];
  const closeAll = async () => {
    // the first tenant's runtime owns the shared encoder: it closes last
    for (const rt of [...opened].reverse()) await rt.close();
  };
  try {
    for (const t of tenants) {
      const own: Config = { ...config, store: { ...config.store, url: t.store.url } };
      const first = opened[0];
      opened.push(await openOne(own, first ? { ...overrides, encoder: first.encoder } : overrides));
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  const first = opened[0]!;
  return {
    ...first,
    tenants: new Map(tenants.map((t, i) => [t.id, opened[i]!.deps])),
    close: closeAll,
  };
}

async function openOne(config: Config, overrides: ComponentOverrides): Promise<Omit<Runtime, 'tenants'>> {
  const parts = await createComponents(config, overrides);
  try {
    const { store, encoder } = parts;
    const engine = await createEngine(config, {
      store,
      encoder,
      vectorIndex: parts.vectorIndex,
      retrievers: parts.retrievers,
    });
    const deps: ServeDeps = {
      engine,
      store,
      ...(encoder ? { itemVectors: storedVectors(store, encoder) } : {}),
      async versions() {
        return {
          encoder: encoder?.id ?? 'none',
          store: store.url.replace(/^sqlite:\/\/.*[/\\]/, 'sqlite://…/'),
        };
      },
    };
    return {
      config,
      store,
      encoder,
      engine,
      pseudonym: createPseudonymiser(config.privacy),
      deps,
      async close() {
        await engine.close();
        await parts.close();
      },
    };
  } catch (e) {
    await parts.close();
    throw e;
  }
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** drops the server's catalog caches (scenario ids, counts): after another process's item write */
  catalogChanged(): void;
  close(): Promise<void>;
}

/** Starts the HTTP server on the configured host and port (0 = an ephemeral port). */
export async function startServer(
  rt: Runtime,
  opts: { logLevel?: string; logStream?: NodeJS.WritableStream } = {},
): Promise<RunningServer> {
  const app = await buildServer(rt.tenants, rt.config, {
    logger: opts.logLevel && opts.logLevel !== 'silent' ? serverLogger(opts.logLevel, opts.logStream) : false,
  });
  await app.listen({ host: rt.config.server.host, port: rt.config.server.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : rt.config.server.port;
  const host = rt.config.server.host.includes(':') ? `[${rt.config.server.host}]` : rt.config.server.host;
  return {
    app,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    catalogChanged: () => catalogChangedOf.get(app)?.(),
    close: () => app.close(),
  };
}

/** Resolves on the first SIGINT or SIGTERM, so a caller can shut down in order. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
