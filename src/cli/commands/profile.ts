import type { Command } from 'commander';
import { formatInterests } from '../format.ts';
import { commandConfig, withEngine } from '../options.ts';

export function registerProfile(program: Command): void {
  program
    .command('profile <user>')
    .description("a user's interests, fused across scenarios and per scenario")
    .option('--db <file>', 'database (overrides store.url)')
    .option('--json', 'print the profile as JSON')
    .action(async (user: string, opts: { db?: string; json?: boolean }, cmd: Command) => {
      const config = commandConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const p = await withEngine(config, (engine, pseudonym) => engine.profile(pseudonym(user)));
      if (opts.json) {
        console.log(JSON.stringify(p, null, 2));
        return;
      }
      console.log(`${user}: ${p.events} events, updated ${new Date(p.updatedAt).toISOString()}`);
      console.log('Fused interests (all scenarios):');
      console.log(formatInterests(p.fused));
      for (const [s, list] of Object.entries(p.perScenario)) {
        console.log(`In ${s}:`);
        console.log(formatInterests(list, '    '));
      }
    });
}
