import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import { createPseudonymiser } from '../../core/privacy.ts';
import { dropSnapshot } from '../../engine/boot.ts';
import { eraseUser } from '../../engine/erase-user.ts';
import { readConfig, withStore } from '../options.ts';

export function registerDeleteUser(program: Command): void {
  program
    .command('delete-user')
    .description(
      "erase a user's events, profile, derived data and share of the trained model, then checkpoint so no copy stays in the file or its WAL",
    )
    .argument('<user>', 'user id as imported (pseudonymised first when privacy.pseudonymise is on)')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .action(async (user: string, opts: { db?: string }, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const id = createPseudonymiser(config.privacy)(user);
      await withStore(config, async (store) => {
        // the same erasure as the API's: store, trained model, then a checkpoint that rewrites the file
        const rows = await eraseUser(store, config, id);
        // the boot snapshot counted the user's events: the next boot folds the log without them
        await dropSnapshot(store);
        if (rows === 0)
          throw new RecError('UNKNOWN_USER', `no user "${user}" in ${store.url}`, { field: 'user' });
        console.log(`deleted user "${user}": ${rows} rows erased, store checkpointed`);
      });
    });
}
