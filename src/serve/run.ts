/**
 * `serve` and `up` until a signal: one process with its engine and server, or, with several
 * workers, a primary that forks them and relays their writes. Output goes through `onListening`
 * and `log`, so the command decides how it looks.
 */
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { isClusterWorker, joinPeers, runPrimary } from './cluster.ts';
import { openRuntime, type RunningServer, startServer, untilSignal } from './runtime.ts';

export interface ServeRunOptions {
  logLevel: string;
  /** server processes sharing the port (1: this one) */
  workers: number;
  onListening(url: string, workers: number): void;
  log(message: string): void;
}

/** Serves until SIGINT/SIGTERM, then closes the server, the engine and the store in order. */
export async function serveUntilSignal(config: Config, o: ServeRunOptions): Promise<void> {
  if (isClusterWorker()) return serveWorker(config, o);
  if (o.workers > 1 && config.server.tenants.length > 0) {
    // the workers relay one engine's writes to each other; tenants would need one relay each
    throw new RecError('INVALID_CONFIG', 'server.tenants are served by one process: run with --workers 1', {
      field: 'server.tenants',
    });
  }
  if (o.workers > 1) return servePrimary(o);
  const rt = await openRuntime(config);
  try {
    const server = await startServer(rt, { logLevel: o.logLevel });
    // another node's item write (through the bus): this server's scenario ids and counts are stale
    rt.engine.remoteChanged = (change) => {
      if (change.kind === 'items' || change.kind === 'deleteItem') server.catalogChanged();
    };
    o.onListening(server.url, 1);
    const sig = await untilSignal();
    o.log(`${sig}: shutting down`);
    await server.close();
  } finally {
    await rt.close();
  }
}

/**
 * in the primary: forks the workers, relays their writes, restarts a crashed one, stops them on a
 * signal or when one cannot be kept running
 */
async function servePrimary(o: ServeRunOptions): Promise<void> {
  let failed: ((e: Error) => void) | undefined;
  const failure = new Promise<never>((_, reject) => {
    failed = reject;
  });
  const primary = runPrimary({
    workers: o.workers,
    onListening: (url) => o.onListening(url, o.workers),
    log: o.log,
    onGiveUp: (e) => failed!(e),
  });
  try {
    const sig = await Promise.race([untilSignal(), failure]);
    o.log(`${sig}: shutting down`);
  } finally {
    await primary.stop();
  }
}

/** in a worker: one engine and server, its writes relayed to the others */
async function serveWorker(config: Config, o: ServeRunOptions): Promise<void> {
  let server: RunningServer | undefined;
  const peers = joinPeers({
    onError: (e) => o.log(`applying another worker's write failed: ${String(e)}`),
    // another worker's item write: this server's scenario ids and counts are stale too
    onApplied: (change) => {
      if (change.kind === 'items' || change.kind === 'deleteItem') server?.catalogChanged();
    },
  });
  const rt = await openRuntime(config);
  try {
    // before the server starts, so every write it takes is relayed
    peers.attach(rt.engine);
    server = await startServer(rt, { logLevel: o.logLevel });
    rt.engine.remoteChanged = (change) => {
      if (change.kind === 'items' || change.kind === 'deleteItem') server?.catalogChanged();
    };
    peers.listening(server.url);
    await untilSignal();
    // the terminal's Ctrl-C reaches the primary too, which then sends SIGTERM: already closing
    const ignore = () => {};
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    await server.close();
  } finally {
    await rt.close();
    // the channel to the primary would keep this process alive
    process.disconnect?.();
  }
}
