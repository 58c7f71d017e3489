import type { Command } from 'commander';
import { hasDataToServe } from '../../demo/build.ts';
import { runDemoBuild } from './demo.ts';
import { type ServeOptions, serve, serveConfig, withServeOptions } from './serve.ts';

export function registerUp(program: Command): void {
  const command = program
    .command('up')
    .description(
      'the quick start: build the demo database if there is no data yet, then serve API and dashboard',
    );
  withServeOptions(command).action(async (opts: ServeOptions, cmd: Command) => {
    const config = serveConfig(opts, cmd, true);
    if (!(await hasDataToServe(config))) {
      console.error(`no data in ${config.store.url}: building the demo database first`);
      if (!(await runDemoBuild(config))) {
        process.exitCode = 130;
        return;
      }
    }
    await serve(config, opts);
  });
}
