import type { Command } from 'commander';
import type { Context } from '../../core/types.ts';
import { formatRecommendations } from '../format.ts';
import { parseNumber, readConfig, withEngine } from '../options.ts';

interface Opts {
  db?: string;
  scenario: string;
  n: string;
  device?: string;
  hour?: string;
  diversity?: string;
  exclude?: string;
  json?: boolean;
}

export function registerRecommend(program: Command): void {
  program
    .command('recommend <user>')
    .description("top-n items for a user in a scenario, with each item's reasons")
    .requiredOption('-s, --scenario <id>', 'target scenario')
    .option('--db <file>', 'database (overrides store.url)')
    .option('-n <count>', 'number of items', '10')
    .option('--device <name>', 'context: device (mobile, desktop, tv, ...)')
    .option('--hour <0-23>', 'context: hour of day')
    .option('--diversity <lambda>', 'MMR lambda in [0, 1]: 0 = pure relevance')
    .option('--exclude <ids>', 'comma-separated item ids never to return')
    .option('--json', 'print the engine response as JSON')
    .action(async (user: string, opts: Opts, cmd: Command) => {
      // options are checked before the engine loads, so a typo fails fast
      const context: Context = {};
      if (opts.device) context.device = opts.device;
      if (opts.hour !== undefined) context.hour = parseNumber(opts.hour, 'hour', 0, 23);
      const n = parseNumber(opts.n, 'n', 1, 1000);
      const diversity =
        opts.diversity === undefined ? undefined : parseNumber(opts.diversity, 'diversity', 0, 1);
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const res = await withEngine(config, async (engine, pseudonym, store) => {
        // an unknown user still gets an answer (what any new user would get), and is told so
        if (!(await store.users.get(pseudonym(user))))
          console.error(
            `note: no user "${user}" in ${store.url}: these are cold-start recommendations, the same for any new user`,
          );
        return engine.recommend({
          user: pseudonym(user),
          scenario: opts.scenario,
          n,
          ...(Object.keys(context).length ? { context } : {}),
          ...(diversity !== undefined ? { diversity } : {}),
          ...(opts.exclude ? { exclude: opts.exclude.split(',').map((s) => s.trim()) } : {}),
        });
      });
      if (opts.json) {
        console.log(JSON.stringify(res, null, 2));
        return;
      }
      console.log(
        `${res.items.length} items for ${user} in ${res.scenario} (model ${res.modelVersion}; retrievers: ${res.retrievers.join(', ')})`,
      );
      const lambda = diversity ?? config.engine.rules[opts.scenario]?.diversity ?? config.engine.diversity;
      console.log(formatRecommendations(res.items, lambda));
    });
}
