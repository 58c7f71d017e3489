import type { Command } from 'commander';
import { openRuntime } from '../../serve/runtime.ts';
import { hasData, runDemoBuild } from './demo.ts';
import { type ServeOptions, serveConfig, serveRuntime, withServeOptions } from './serve.ts';

export function registerUp(program: Command): void {
  const command = program
    .command('up')
    .description(
      'the quick start: build the demo database if there is no data yet, then serve API and dashboard',
    );
  withServeOptions(command).action(async (opts: ServeOptions, cmd: Command) => {
    const config = serveConfig(opts, cmd);
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
