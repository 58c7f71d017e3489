import type { Command } from 'commander';
import { isRecError, RecError } from '../../core/errors.ts';
import { createComponents } from '../../engine/create.ts';
import { trainFromStore } from '../../train/train.ts';
import { interruptOnSigint, readConfig } from '../options.ts';
import { progressReporter } from '../progress.ts';

interface TrainOpts {
  db?: string;
  text?: boolean;
  json?: boolean;
}

/** a bar per phase on a terminal; plain lines at most twice a second elsewhere */
function reporter() {
  const bar = progressReporter('train');
  return {
    update(label: string, done: number, total: number) {
      // "seq epoch 3/20 (valid ndcg@10 ...)" counts over all epochs: one bar for the phase
      // ("seq epoch"), the epoch in its detail, so the bar does not restart at each epoch
      const phase = label.replace(/[\s(]*\d.*$/, '');
      const rest = label.slice(phase.length).trim();
      const count = total > 0 ? `${done}/${total}` : `${done}`;
      bar.update(done, total, rest ? `${rest}; ${count}` : count, `train ${phase}`);
    },
    stop: () => bar.stop(),
  };
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'learn the item graphs and fit the ranker on the validation split; saves and activates a new model version',
    )
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--no-text', 'fit without the text features (no encoder is started)')
    .option('--json', 'print the training report as JSON')
    .action(async (opts: TrainOpts, cmd: Command) => {
      const cfg = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      // the encoder only names the item vectors `fusionrec encode` wrote (none: no text features)
      const parts = await createComponents(cfg, opts.text === false ? { encoder: null } : {});
      const store = parts.store;
      const interrupt = interruptOnSigint('train: stopping at the next safe point');
      const progress = reporter();
      try {
        const encoderId = parts.encoder?.id;
        const report = await trainFromStore(store, cfg, {
          encoderId,
          signal: interrupt.signal,
          onProgress: (p, d, t) => progress.update(p, d, t),
        });
        progress.stop();
        if (opts.json) {
          console.log(JSON.stringify(report, null, 2));
          return;
        }
        console.log(
          [
            `trained on ${report.users} users, ${report.items} items in ${report.seconds.total.toFixed(1)}s (graphs ${report.seconds.graphs.toFixed(1)}s${report.resumed ? ', resumed' : ''}, ranker fit ${report.seconds.fit.toFixed(1)}s; ${report.threads} threads)`,
            report.seq
              ? `  sequential model: ${report.seq.reused ? 'already trained for this data and config' : `${report.seq.epochs} epochs (best ${report.seq.bestEpoch}${report.seq.averagedEpochs > 1 ? `, weights averaged over epochs ${report.seq.bestEpoch}-${report.seq.epochs}` : ''}${report.seq.resumedFrom > 0 ? `, resumed after epoch ${report.seq.resumedFrom}` : ''})`}, valid NDCG@10 ${report.seq.validNdcg10.toFixed(4)}${report.seq.members ? `; an ensemble of ${report.seq.members} models (the first's figures above), valid NDCG@10 ${report.seq.ensembleValidNdcg10?.toFixed(4)}` : ''}, ${report.seconds.seq.toFixed(1)}s`
              : '  sequential model: off (seq.enabled false)',
            report.graph
              ? `  item graphs tuned on the fitting cases: shrink ${report.graph.shrink}, EASE lambda ${report.graph.easeLambda}${report.graph.easeFusedLambda !== undefined ? `, cross-scenario EASE lambda ${report.graph.easeFusedLambda}` : ''}`
              : '  item graphs: settings from the config (train.tuneGraph off, or resumed)',
            `  fitting cases ${report.validCases + report.heldOutCases} (${report.validCases} from the validation split, ${report.heldOutCases} held out from training events): pool NDCG@10 ${report.validNdcg10.toFixed(4)} (default weights ${report.defaultNdcg10.toFixed(4)})`,
            ...(Object.keys(report.crossCheck).length > 0
              ? [
                  `  cross-scenario weights, full-ranking check: ${Object.entries(report.crossCheck)
                    .map(
                      ([k, c]) =>
                        `${k} ${c.undecided ? 'undecided' : c.kept ? `kept at ${c.share}` : 'rejected'} (fit ${c.fitCases}, check ${c.checkCases}: own ${c.own}, fitted ${c.fused}, served ${c.served})`,
                    )
                    .join('; ')}`,
                ]
              : []),
            `  weights ${report.ranker.shared.map((w) => w.toFixed(2)).join(', ')}; decay ${report.ranker.decay}; per-scenario: ${report.ranker.perScenario.join(', ') || 'none'}`,
            `  model version ${report.version} (active; stamp ${report.stamp})`,
          ].join('\n'),
        );
      } catch (e) {
        progress.stop();
        if (interrupt.signal.aborted) {
          const err = new RecError(
            'INTERRUPTED',
            'training interrupted; run the same command again to resume',
            {
              cause: e,
            },
          );
          console.error(`train: ${err.message}`);
          process.exitCode = 130;
          return;
        }
        if (isRecError(e)) throw e;
        throw e;
      } finally {
        interrupt.release();
        await parts.close();
      }
    });
}
