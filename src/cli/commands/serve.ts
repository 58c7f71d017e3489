import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { serveUntilSignal } from '../../serve/run.ts';
import { commandConfig, parseNumber, readConfig, storeConfig } from '../options.ts';

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

/**
 * The configuration with the command line's overrides applied. `serve` needs an existing database;
 * `up` (`creates`) may make one, since it builds the demo where there is no data.
 */
export function serveConfig(opts: ServeOptions, cmd: Command, creates = false): Config {
  const file = cmd.optsWithGlobals().config;
  const port = opts.port === undefined ? undefined : parseNumber(opts.port, 'port', 0, 65535);
  if (!creates) return readConfig(file, { db: opts.db, host: opts.host, port });
  storeConfig(file, opts.db);
  return commandConfig(file, { db: opts.db, host: opts.host, port });
}

function banner(config: Config, url: string, workers: number): void {
  const tenants = config.server.tenants;
  const what =
    tenants.length > 0
      ? `${tenants.length} tenants (${tenants.map((t) => t.id).join(', ')})`
      : config.store.url;
  console.error(`fusionrec serving ${what}${workers > 1 ? ` with ${workers} worker processes` : ''}`);
  console.error(`  dashboard: ${url}/`);
  console.error(`  API:       ${url}/v1  (OpenAPI: ${url}/openapi.json)`);
  if (tenants.length === 0 && config.server.adminKeyHashes.length === 0) {
    console.error('  note: no admin keys configured, so writes need no key (fine on localhost only)');
  }
}

/** Serves the config's store until SIGINT/SIGTERM, printing where. */
export function serve(config: Config, opts: ServeOptions, workers = 1): Promise<void> {
  return serveUntilSignal(config, {
    logLevel: opts.logLevel,
    workers,
    onListening: (url, n) => banner(config, url, n),
    log: (m) => console.error(m),
  });
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
      await serve(config, opts, parseNumber(opts.workers ?? '1', 'workers', 1, 64));
    });
}
