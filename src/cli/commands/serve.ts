import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { RecError } from '../../core/errors.ts';
import type { Explanation } from '../../engine/types.ts';
import { openRuntime, type Runtime, runtimeConfig, startServer, untilSignal } from '../../serve/runtime.ts';

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

/** Serves until SIGINT/SIGTERM, then closes the server, the engine and the store in order. */
export async function serveRuntime(rt: Runtime, opts: ServeOptions): Promise<void> {
  const server = await startServer(rt, { logLevel: opts.logLevel });
  console.error(`fusionrec serving ${rt.config.store.url}`);
  console.error(`  dashboard: ${server.url}/`);
  console.error(`  API:       ${server.url}/v1  (OpenAPI: ${server.url}/openapi.json)`);
  if (rt.config.server.adminKeyHashes.length === 0) {
    console.error('  note: no admin keys configured, so writes need no key (fine on localhost only)');
  }
  const sig = await untilSignal();
  console.error(`${sig}: shutting down`);
  await server.close();
}

export function registerServe(program: Command): void {
  const command = program.command('serve').description('start the HTTP API and the dashboard');
  withServeOptions(command).action(async (opts: ServeOptions, cmd: Command) => {
    const rt = await openRuntime(serveConfig(opts, cmd));
    try {
      await serveRuntime(rt, opts);
    } finally {
      await rt.close();
    }
  });
}
