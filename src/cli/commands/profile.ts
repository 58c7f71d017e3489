import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import type { Store } from '../../store/types.ts';
import { formatInterests } from '../format.ts';
import { readConfig, withEngine } from '../options.ts';

/** Refuses a user the store has never seen: an empty profile would look like a real answer. */
export async function requireUser(store: Store, id: string, user: string): Promise<void> {
  if (!(await store.users.get(id)))
    throw new RecError('UNKNOWN_USER', `no user "${user}" in ${store.url}`, { field: 'user' });
}

/** Titles of the items the interests list, for printing names instead of ids. */
async function titlesOf(store: Store, ids: Iterable<string>): Promise<Map<string, string>> {
  const items = await store.items.getMany([...new Set(ids)]);
  return new Map(items.filter((i) => i.title).map((i) => [i.id, i.title]));
}

export function registerProfile(program: Command): void {
  program
    .command('profile <user>')
    .description("a user's interests, fused across scenarios and per scenario")
    .option('--db <file>', 'database (overrides store.url)')
    .option('--json', 'print the profile as JSON')
    .action(async (user: string, opts: { db?: string; json?: boolean }, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const { p, titles } = await withEngine(
        config,
        async (engine, pseudonym, store) => {
          const p = await engine.profile(pseudonym(user));
          const shown = [p.fused, ...Object.values(p.perScenario)]
            .flat()
            .flatMap((i) => i.topItems.slice(0, 5));
          return { p, titles: opts.json ? new Map<string, string>() : await titlesOf(store, shown) };
        },
        (store, pseudonym) => requireUser(store, pseudonym(user), user),
      );
      if (opts.json) {
        console.log(JSON.stringify(p, null, 2));
        return;
      }
      console.log(`${user}: ${p.events} events, updated ${new Date(p.updatedAt).toISOString()}`);
      console.log('Fused interests (all scenarios):');
      console.log(formatInterests(p.fused, titles));
      for (const [s, list] of Object.entries(p.perScenario)) {
        console.log(`In ${s}:`);
        console.log(formatInterests(list, titles, '    '));
      }
    });
}
