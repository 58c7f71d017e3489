import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import { describeContext, describeReasons, itemName } from '../format.ts';
import { readConfig, requestContext, withEngine } from '../options.ts';
import { requireUser } from './profile.ts';

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
        const context = requestContext(opts);
        const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
        const { e, title } = await withEngine(
          config,
          async (engine, pseudonym, store) => {
            const e = await engine.explain(pseudonym(user), item, context);
            return { e, title: (await store.items.get(item))?.title };
          },
          async (store, pseudonym) => {
            await requireUser(store, pseudonym(user), user);
            if (!(await store.items.get(item)))
              throw new RecError('UNKNOWN_ITEM', `no item "${item}" in ${store.url}`, { field: 'item' });
          },
        );
        if (opts.json) {
          console.log(JSON.stringify({ user, item, ...e }, null, 2));
          return;
        }
        console.log(`${itemName(item, title)} for ${user}: score ${e.score.toFixed(4)}`);
        console.log(`  ${describeReasons(e)}`);
        for (const h of e.history) {
          console.log(
            `  - ${itemName(h.item, h.title)} (${h.scenario}): ${(h.contribution * 100).toFixed(1)}% of the score`,
          );
        }
        for (const c of e.context) console.log(`  - context ${describeContext(c, 4)}`);
      },
    );
}
