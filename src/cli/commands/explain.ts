import type { Command } from 'commander';
import type { Context } from '../../core/types.ts';
import { describeReasons } from '../format.ts';
import { commandConfig, parseNumber, withEngine } from '../options.ts';

export function registerExplain(program: Command): void {
  program
    .command('explain <user> <item>')
    .description('why an item would be recommended to a user: interest, past items, context, retriever')
    .option('--db <file>', 'database (overrides store.url)')
    .option('--device <name>', 'context: device')
    .option('--hour <0-23>', 'context: hour of day')
    .option('--json', 'print the explanation as JSON')
    .action(
      async (
        user: string,
        item: string,
        opts: { db?: string; device?: string; hour?: string; json?: boolean },
        cmd: Command,
      ) => {
        const context: Context = {};
        if (opts.device) context.device = opts.device;
        if (opts.hour !== undefined) context.hour = parseNumber(opts.hour, 'hour', 0, 23);
        const config = commandConfig(cmd.optsWithGlobals().config, { db: opts.db });
        const e = await withEngine(config, (engine, pseudonym) =>
          engine.explain(pseudonym(user), item, context),
        );
        if (opts.json) {
          console.log(JSON.stringify({ user, item, ...e }, null, 2));
          return;
        }
        console.log(`${item} for ${user}: score ${e.score.toFixed(4)}`);
        console.log(`  ${describeReasons(e)}`);
        for (const h of e.history) {
          console.log(
            `  - ${h.title || h.item} (${h.scenario}): ${(h.contribution * 100).toFixed(1)}% of the score`,
          );
        }
        for (const c of e.context) {
          console.log(
            `  - context ${c.feature}=${String(c.value)}: ${c.effect >= 0 ? '+' : ''}${c.effect.toFixed(4)}`,
          );
        }
      },
    );
}
