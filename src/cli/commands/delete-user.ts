import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import { createPseudonymiser } from '../../core/privacy.ts';
import { dropSnapshot } from '../../engine/boot.ts';
import { storeConfig, withStore } from '../options.ts';

export function registerDeleteUser(program: Command): void {
  program
    .command('delete-user')
    .description(
      "erase a user's events, profile and derived data, then checkpoint so no copy stays in the WAL",
    )
    .argument('<user>', 'user id as imported (pseudonymised first when privacy.pseudonymise is on)')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .action(async (user: string, opts: { db?: string }, cmd: Command) => {
      const config = storeConfig(cmd.optsWithGlobals().config, opts.db);
      const id = createPseudonymiser(config.privacy)(user);
      await withStore(config, async (store) => {
        const rows = await store.deleteUser(id);
        // the boot snapshot counted the user's events: the next boot folds the log without them
        await dropSnapshot(store);
        await store.checkpoint();
        if (rows === 0)
          throw new RecError('UNKNOWN_USER', `no user "${user}" in ${store.url}`, { field: 'user' });
        console.log(`deleted user "${user}": ${rows} rows erased, store checkpointed`);
      });
    });
}
