import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { RecError } from '../../core/errors.ts';
import type { Explanation } from '../../engine/types.ts';
import { isClusterWorker, joinPeers, runPrimary } from '../../serve/cluster.ts';
import {
  openRuntime,
  type RunningServer,
  type Runtime,
  runtimeConfig,
  startServer,
  untilSignal,
} from '../../serve/runtime.ts';

/** Parses a numeric option, naming it in the error. */
export function parseNumber(raw: string, field: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new RecError('INVALID_INPUT', `must be a number in [${min}, ${max}], got "${raw}"`, { field });
  }
  return v;
}

/** One line of reasons for terminal output. */
export function describeReasons(r: Explanation): string {
  const parts: string[] = [];
  if (r.sentence) parts.push(r.sentence);
  if (r.interest) parts.push(`interest "${r.interest.label}" (sim ${r.interest.similarity.toFixed(2)})`);
  if (r.history.length) {
    parts.push(
      `because of ${r.history
        .slice(0, 3)
        .map((h) => `"${h.title || h.item}" (${h.scenario})`)
        .join(', ')}`,
    );
  }
  const ctx = r.context.filter((c) => Math.abs(c.effect) > 1e-4);
  if (ctx.length) {
    parts.push(
      `context ${ctx.map((c) => `${c.feature}=${String(c.value)} ${c.effect >= 0 ? '+' : ''}${c.effect.toFixed(3)}`).join(', ')}`,
    );
  }
  parts.push(`via ${r.retriever}`);
  return parts.join('; ');
}

export interface ServeOptions {
  db?: string;
  host?: string;
  port?: string;
  logLevel: string;
  workers?: string;
}

/** The options `serve` and `up` share. */
export function withServeOptions(command: Command): Command {
  return command
    .option('--db <file>', 'database (overrides store.url)')
    .option('--host <host>', 'interface to bind (overrides server.host)')
    .option('--port <port>', 'port (overrides server.port; 0 = any free port)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent', 'warn');
}

/** The configuration with the command line's overrides applied. */
export function serveConfig(opts: ServeOptions, cmd: Command): Config {
  return runtimeConfig(cmd.optsWithGlobals().config, {
    db: opts.db,
    host: opts.host,
    port: opts.port === undefined ? undefined : parseNumber(opts.port, 'port', 0, 65535),
  });
}

function banner(config: Config, url: string, workers = 1): void {
  console.error(
    `fusionrec serving ${config.store.url}${workers > 1 ? ` with ${workers} worker processes` : ''}`,
  );
  console.error(`  dashboard: ${url}/`);
  console.error(`  API:       ${url}/v1  (OpenAPI: ${url}/openapi.json)`);
  if (config.server.adminKeyHashes.length === 0) {
    console.error('  note: no admin keys configured, so writes need no key (fine on localhost only)');
  }
}

/** Serves until SIGINT/SIGTERM, then closes the server, the engine and the store in order. */
export async function serveRuntime(rt: Runtime, opts: ServeOptions): Promise<void> {
  const server = await startServer(rt, { logLevel: opts.logLevel });
  banner(rt.config, server.url);
  const sig = await untilSignal();
  console.error(`${sig}: shutting down`);
  await server.close();
}

/** `serve --workers N`, in the primary: forks the workers, relays their writes, stops them on a signal */
async function servePrimary(config: Config, workers: number): Promise<void> {
  let failed: ((e: Error) => void) | undefined;
  const failure = new Promise<never>((_, reject) => {
    failed = reject;
  });
  const primary = runPrimary({
    workers,
    onListening: (url) => banner(config, url, workers),
    onWorkerExit: (code, signal) =>
      failed!(new RecError('INTERNAL', `a worker process exited (${signal ?? `code ${code}`})`)),
  });
  try {
    const sig = await Promise.race([untilSignal(), failure]);
    console.error(`${sig}: shutting down`);
  } finally {
    await primary.stop();
  }
}

/** `serve --workers N`, in a worker: one engine and server, its writes relayed to the others */
async function serveWorker(config: Config, opts: ServeOptions): Promise<void> {
  let server: RunningServer | undefined;
  const peers = joinPeers({
    onError: (e) => console.error(`applying another worker's write failed: ${String(e)}`),
    // another worker's item write: this server's scenario ids and counts are stale too
    onApplied: (change) => {
      if (change.kind === 'items' || change.kind === 'deleteItem') server?.catalogChanged();
    },
  });
  const rt = await openRuntime(config);
  try {
    // before the server starts, so every write it takes is relayed
    peers.attach(rt.engine);
    server = await startServer(rt, { logLevel: opts.logLevel });
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

export function registerServe(program: Command): void {
  const command = program.command('serve').description('start the HTTP API and the dashboard');
  withServeOptions(command)
    .option(
      '--workers <n>',
      'server processes sharing the port (each holds its own engine; writes reach all before they are answered)',
      '1',
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      const config = serveConfig(opts, cmd);
      const workers = parseNumber(opts.workers ?? '1', 'workers', 1, 64);
      if (isClusterWorker()) return serveWorker(config, opts);
      if (workers > 1) return servePrimary(config, workers);
      const rt = await openRuntime(config);
      try {
        await serveRuntime(rt, opts);
      } finally {
        await rt.close();
      }
    });
}
