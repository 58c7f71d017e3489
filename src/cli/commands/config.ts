import type { Command } from 'commander';
import { configMarkdown } from '../../config/docs.ts';
import { loadConfig } from '../../config/load.ts';

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('print the effective configuration (secrets hidden), or the reference with --docs')
    .option('--docs', 'print the Markdown reference of every key and its default')
    .action((opts: { docs?: boolean }, cmd: Command) => {
      if (opts.docs) {
        process.stdout.write(configMarkdown());
        return;
      }
      const cfg = loadConfig(cmd.optsWithGlobals().config);
      const shown = JSON.parse(
        JSON.stringify(cfg, (k, v) => ((k === 'secret' || k === 'apiKey') && v ? '***' : v)),
      );
      console.log(JSON.stringify(shown, null, 2));
    });
}
