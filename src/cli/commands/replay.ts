import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import { replayCandidate } from '../../engine/replay-candidate.ts';
import { readConfig, withStore } from '../options.ts';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      "estimate a candidate's click-through from an experiment's logged impressions (self-normalised inverse propensity scoring, 95 % interval): a model version or the logging ranking over whole lists, or a policy for the exploration slot; refuses when the log gives no overlap",
    )
    .requiredOption('--experiment <id>', 'the experiment whose impressions to replay')
    .requiredOption(
      '--candidate <policy>',
      'whole lists: a model version id (the one the store serves) or `ranking` (the logging ranking unshuffled); the exploration slot: `logging` or `item:<id>`',
    )
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--json', 'print JSON')
    .action(
      async (opts: { experiment: string; candidate: string; db?: string; json?: boolean }, cmd: Command) => {
        const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
        const r = await withStore(config, (store) =>
          replayCandidate(store, config, opts.experiment, opts.candidate),
        );
        if (opts.json) return console.log(JSON.stringify(r, null, 2));
        const what = r.kind === 'list' ? 'logged lists' : 'explored slots';
        if (!r.supported)
          throw new RecError(
            'CONFLICT',
            `cannot estimate ${opts.candidate} from ${r.samples} ${what}: ${r.reason}`,
            { field: 'candidate' },
          );
        const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
        const value =
          r.kind === 'list'
            ? `${r.estimate.toFixed(4)} clicks per list [${r.low.toFixed(4)}, ${r.high.toFixed(4)}]`
            : `click-through ${pct(r.estimate)} [${pct(r.low)}, ${pct(r.high)}]`;
        console.log(
          `${opts.candidate}: ${value} from ${r.samples} ${what} (effective ${r.effective.toFixed(0)})`,
        );
      },
    );
}
