import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import type { ExperimentStats } from '../../engine/experiment-stats.ts';
import { experimentAdmin } from '../../engine/feedback.ts';
import { readConfig, withStore } from '../options.ts';

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const interval = (low: number, high: number) => `[${pct(low)}, ${pct(high)}]`;
const num = (x: number) => x.toFixed(3);

/** the status as a table a person reads; --json prints the object itself */
function formatStatus(s: ExperimentStats): string {
  const lines = [`experiment ${s.experiment} (${s.kind}, scenario ${s.scenario}, ${s.status})`];
  for (const v of s.variants) {
    const c = v.vsControl;
    const vs = c
      ? `  vs control: click-through ${pct(c.clickThrough.diff)} ${interval(c.clickThrough.low, c.clickThrough.high)} ${c.clickThrough.verdict}, clicks per list ${num(c.clicksPerList.diff)} [${num(c.clicksPerList.low)}, ${num(c.clicksPerList.high)}] ${c.clicksPerList.verdict}`
      : '';
    const perList = `${num(v.clicksPerList.mean)} [${num(v.clicksPerList.low)}, ${num(v.clicksPerList.high)}]`;
    lines.push(
      `  ${v.variant}: ${v.impressions} lists, ${v.users} users, click-through ${pct(v.clickThrough.rate)} ${interval(v.clickThrough.low, v.clickThrough.high)}, clicks per list ${perList}, conversion ${pct(v.conversion.rate)} ${interval(v.conversion.low, v.conversion.high)}${vs}`,
    );
  }
  const il = s.interleaving;
  if (il) {
    const [a, b] = s.variants.map((v) => v.variant);
    lines.push(
      `  interleaving: ${il.impressions} lists; wins ${a} ${il.wins[a!]}, ${b} ${il.wins[b!]}, ties ${il.ties}; preference for ${b} ${il.preference.diff.toFixed(4)} [${il.preference.low.toFixed(4)}, ${il.preference.high.toFixed(4)}] ${il.preference.verdict}`,
    );
  }
  return lines.join('\n');
}

export function registerExperiment(program: Command): void {
  const cmd = program
    .command('experiment')
    .description('online experiments: A/B by user hash or team-draft interleaving (docs/experiments.md)');
  const withAdmin = async <T>(
    c: Command,
    db: string | undefined,
    fn: (admin: ReturnType<typeof experimentAdmin>) => Promise<T>,
  ) => {
    const config = readConfig(c.optsWithGlobals().config, { db });
    return withStore(config, (store) => fn(experimentAdmin(store, config)));
  };
  cmd
    .command('create')
    .description('start an experiment from a JSON definition (file, or - for standard input)')
    .argument(
      '<definition>',
      'JSON file: {id, scenario, kind: ab|interleave, variants: [{name, share?, diversity?, retrievers?, fusion?, ranking?, modelVersion?}]}',
    )
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .action(async (file: string, opts: { db?: string }, c: Command) => {
      let def: unknown;
      try {
        def = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
      } catch (e) {
        throw new RecError('PARSE_ERROR', `${file}: ${(e as Error).message}`, { field: 'definition' });
      }
      const e = await withAdmin(c, opts.db, (a) => a.create(def));
      console.log(
        `started experiment "${e.id}" (${e.kind}) in scenario ${e.scenario}: ${e.variants.map((v) => v.name).join(', ')}`,
      );
    });
  cmd
    .command('list')
    .description('every experiment, running and stopped')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--json', 'print JSON')
    .action(async (opts: { db?: string; json?: boolean }, c: Command) => {
      const list = await withAdmin(c, opts.db, (a) => a.list());
      if (opts.json) return console.log(JSON.stringify(list, null, 2));
      if (list.length === 0) return console.log('no experiments');
      for (const e of list)
        console.log(
          `${e.id}\t${e.kind}\t${e.scenario}\t${e.status}\t${e.variants.map((v) => v.name).join(',')}`,
        );
    });
  cmd
    .command('status')
    .description(
      'per-variant click-through and conversion with 95 % intervals, and a verdict when the interval excludes 0',
    )
    .argument('<id>', 'experiment id')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { db?: string; json?: boolean }, c: Command) => {
      const s = await withAdmin(c, opts.db, (a) => a.status(id));
      console.log(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s));
    });
  cmd
    .command('stop')
    .description('stop an experiment; its log and status stay')
    .argument('<id>', 'experiment id')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .action(async (id: string, opts: { db?: string }, c: Command) => {
      const e = await withAdmin(c, opts.db, (a) => a.stop(id));
      console.log(`experiment "${e.id}" is ${e.status}`);
    });
}
