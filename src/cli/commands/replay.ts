import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import { replayExperiment } from '../../engine/feedback.ts';
import { readConfig, withStore } from '../options.ts';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      "estimate a candidate exploration-slot policy's click-through from an experiment's logged impressions (self-normalised inverse propensity scoring, 95 % interval); refuses when the log gives no overlap",
    )
    .requiredOption('--experiment <id>', 'the experiment whose impressions to replay')
    .requiredOption(
      '--candidate <policy>',
      '`logging` (the policy that made the log) or `item:<id>` (always that item in the slot)',
    )
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--json', 'print JSON')
    .action(
      async (opts: { experiment: string; candidate: string; db?: string; json?: boolean }, cmd: Command) => {
        const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
        const r = await withStore(config, (store) =>
          replayExperiment(store, config, opts.experiment, opts.candidate),
        );
        if (opts.json) return console.log(JSON.stringify(r, null, 2));
        if (!r.supported)
          throw new RecError(
            'CONFLICT',
            `cannot estimate ${opts.candidate} from ${r.samples} explored slots: ${r.reason}`,
            {
              field: 'candidate',
            },
          );
        console.log(
          `${opts.candidate}: click-through ${(100 * r.estimate).toFixed(2)} % [${(100 * r.low).toFixed(2)} %, ${(100 * r.high).toFixed(2)} %] from ${r.samples} explored slots (effective ${r.effective.toFixed(0)})`,
        );
      },
    );
}
