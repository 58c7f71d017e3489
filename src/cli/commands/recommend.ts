import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import type { RecommendRequest } from '../../engine/types.ts';
import { formatRecommendations } from '../format.ts';
import { parseNumber, readConfig, requestContext, withEngine } from '../options.ts';
import { filterArg } from './filter.ts';

interface Opts {
  db?: string;
  scenario: string;
  n: string;
  device?: string;
  hour?: string;
  diversity?: string;
  exclude?: string;
  filter?: string;
  filterName?: string;
  boost?: string[];
  promote?: string;
  promoteName?: string;
  slots: string;
  placement?: string;
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
    .option(
      '--filter <expr>',
      'only items the filter matches: expression text or its JSON form (docs/api.md)',
    )
    .option('--filter-name <name>', 'a named filter (fusionrec filter set), and-ed with --filter')
    .option(
      '--boost <json>',
      'a boost as JSON, e.g. \'{"when": "price < 20", "multiply": 1.5}\' (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--promote <expr>', 'fill --slots slots with the best items of this filter, marked promoted')
    .option('--promote-name <name>', 'as --promote, from a named filter')
    .option('--slots <count>', 'slots of the promotion', '2')
    .option('--placement <where>', 'promoted items at the top (default) or spread over the list')
    .option('--json', 'print the engine response as JSON')
    .action(async (user: string, opts: Opts, cmd: Command) => {
      // options are checked before the engine loads, so a typo fails fast
      const context = requestContext(opts);
      const n = parseNumber(opts.n, 'n', 1, 1000);
      const diversity =
        opts.diversity === undefined ? undefined : parseNumber(opts.diversity, 'diversity', 0, 1);
      const controls = controlsOf(opts);
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
          ...(context ? { context } : {}),
          ...(diversity !== undefined ? { diversity } : {}),
          ...(opts.exclude ? { exclude: opts.exclude.split(',').map((s) => s.trim()) } : {}),
          ...controls,
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
      const promoted = res.items.filter((r) => r.promoted).map((r) => r.item);
      if (promoted.length > 0) console.log(`promoted: ${promoted.join(', ')}`);
    });
}

/** the request's filter, boosts and promotion from the options (the engine checks them) */
function controlsOf(opts: Opts): Partial<RecommendRequest> {
  const out: Partial<RecommendRequest> = {};
  if (opts.filter !== undefined) out.filter = filterArg(opts.filter, 'filter');
  if (opts.filterName) out.filterName = opts.filterName;
  if (opts.boost?.length) {
    out.boosts = opts.boost.map((b, i) => {
      const v = filterArg(b, `boosts[${i}]`);
      if (typeof v !== 'object')
        throw new RecError('INVALID_INPUT', 'expected {"when": ..., "multiply"?: n, "add"?: n}', {
          field: `boosts[${i}]`,
        });
      return v as NonNullable<RecommendRequest['boosts']>[number];
    });
  }
  if (opts.promote !== undefined || opts.promoteName) {
    out.promote = {
      ...(opts.promote !== undefined ? { filter: filterArg(opts.promote, 'promote.filter') } : {}),
      ...(opts.promoteName ? { filterName: opts.promoteName } : {}),
      slots: parseNumber(opts.slots, 'promote.slots', 1, 1000),
      ...(opts.placement ? { placement: opts.placement as 'top' } : {}),
    };
  }
  return out;
}
