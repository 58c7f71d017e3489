import type { Command } from 'commander';
import { openRuntime, runtimeConfig } from '../../serve/runtime.ts';
import { hasData, runDemoBuild } from './demo.ts';
import { parseNumber, type ServeOptions, serveRuntime } from './serve.ts';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'the quick start: build the demo database if there is no data yet, then serve API and dashboard',
    )
    .option('--db <file>', 'database (overrides store.url)')
    .option('--host <host>', 'interface to bind')
    .option('--port <port>', 'port (0 = any free port)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent', 'warn')
    .action(async (opts: ServeOptions, cmd: Command) => {
      const config = runtimeConfig(cmd.optsWithGlobals().config, {
        db: opts.db,
        host: opts.host,
        port: opts.port === undefined ? undefined : parseNumber(opts.port, 'port', 0, 65535),
      });
      if (!(await hasData(config))) {
        console.error(`no data in ${config.store.url}: building the demo database first`);
        if (!(await runDemoBuild(config))) {
          process.exitCode = 130;
          return;
        }
      }
      const rt = await openRuntime(config);
      try {
        await serveRuntime(rt, opts);
      } finally {
        await rt.close();
      }
    });
}
