/**
 * What `serve`, `up` and the CLI read commands share: a config with command-line overrides, the
 * store, the encoder and the engine opened together and closed together, and a server started
 * until a signal. No logic of its own beyond wiring.
 */
import type { FastifyInstance } from 'fastify';
import { loadConfig, parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createPseudonymiser, type Pseudonymiser } from '../core/privacy.ts';
import { loadItemVectors } from '../encode/catalog.ts';
import type { Encoder } from '../encode/types.ts';
import { createUseEncoder } from '../encode/use.ts';
import { createEngine } from '../engine/create.ts';
import type { Engine } from '../engine/types.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { buildServer, catalogChangedOf } from './app.ts';
import type { ServeDeps } from './context.ts';

export interface Overrides {
  db?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
}

/** Loads the config (file + env) and applies command-line overrides, validated once more. */
export function runtimeConfig(file: string | undefined, o: Overrides = {}): Config {
  const base = loadConfig(file);
  if (o.db === undefined && o.host === undefined && o.port === undefined) return base;
  return parseConfig({
    ...base,
    store: { ...base.store, ...(o.db !== undefined ? { url: o.db } : {}) },
    server: {
      ...base.server,
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
    },
  });
}

export interface Runtime {
  config: Config;
  store: Store;
  encoder: Encoder;
  engine: Engine;
  pseudonym: Pseudonymiser;
  deps: ServeDeps;
  close(): Promise<void>;
}

export async function openEncoder(config: Config): Promise<Encoder> {
  return createUseEncoder({ threads: config.encoder.threads });
}

export async function openRuntime(config: Config): Promise<Runtime> {
  const store = await openStore(config.store.url);
  let encoder: Encoder | undefined;
  try {
    encoder = await openEncoder(config);
    const engine = await createEngine(config, { store, encoder });
    const enc = encoder;
    const deps: ServeDeps = {
      engine,
      store,
      async itemVectors(ids) {
        const { ids: found, dim, vectors } = await loadItemVectors(store, enc.id, { ids });
        return new Map(found.map((id, r) => [id, vectors.slice(r * dim, (r + 1) * dim)]));
      },
      async versions() {
        return { encoder: enc.id, store: store.url.replace(/^sqlite:\/\/.*[/\\]/, 'sqlite://…/') };
      },
    };
    return {
      config,
      store,
      encoder: enc,
      engine,
      pseudonym: createPseudonymiser(config.privacy),
      deps,
      async close() {
        await engine.close();
        await enc.close();
        await store.close();
      },
    };
  } catch (e) {
    await encoder?.close();
    await store.close();
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
export async function startServer(rt: Runtime, opts: { logLevel?: string } = {}): Promise<RunningServer> {
  const app = await buildServer(rt.deps, rt.config, {
    logger: opts.logLevel && opts.logLevel !== 'silent' ? { level: opts.logLevel } : false,
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
