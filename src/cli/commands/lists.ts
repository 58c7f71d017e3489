import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import type { ListKind } from '../../engine/context-lists.ts';
import type { ListRequest } from '../../engine/types.ts';
import { HOUR_BANDS, type HourBand } from '../../model/context.ts';
import { parseNumber, readConfig, withEngine } from '../options.ts';

interface Opts {
  db?: string;
  scenario: string;
  n: string;
  device?: string;
  band?: string;
  hour?: string;
  json?: boolean;
}

const DESCRIPTIONS: Record<ListKind, string> = {
  trending: 'items trending in a scenario: recent events, newer ones weighing more (engine.lists.trending*)',
  popular: 'the most popular items of a scenario within engine.lists.popularDays (0 = all time)',
  new: 'the newest items of a scenario, by createdAt within engine.lists.newDays',
};

function when(ms: number | null): string {
  return ms === null ? '…' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function registerList(program: Command, list: ListKind): void {
  program
    .command(list)
    .description(DESCRIPTIONS[list])
    .requiredOption('-s, --scenario <id>', 'scenario')
    .option('--db <file>', 'database (overrides store.url)')
    .option('-n <count>', 'number of items', '10')
    .option('--device <name>', 'context: the list of events on this device')
    .option('--band <band>', `context: the list of events in this hour band (${HOUR_BANDS.join(', ')})`)
    .option('--hour <0-23>', 'context: the hour band of this hour of day')
    .option('--json', 'print the engine response as JSON')
    .action(async (opts: Opts, cmd: Command) => {
      const n = parseNumber(opts.n, 'n', 1, 1000);
      const context: NonNullable<ListRequest['context']> = {};
      if (opts.device) context.device = opts.device;
      if (opts.band !== undefined) {
        if (!(HOUR_BANDS as readonly string[]).includes(opts.band)) {
          throw new RecError('INVALID_INPUT', `must be one of ${HOUR_BANDS.join(', ')}`, { field: 'band' });
        }
        context.band = opts.band as HourBand;
      }
      if (opts.hour !== undefined) context.hour = parseNumber(opts.hour, 'hour', 0, 23);
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const res = await withEngine(config, async (engine) => {
        if (!engine.list) throw new RecError('NOT_FOUND', 'this engine keeps no lists');
        return engine.list({
          list,
          scenario: opts.scenario,
          n,
          ...(Object.keys(context).length ? { context } : {}),
        });
      });
      if (opts.json) {
        console.log(JSON.stringify(res, null, 2));
        return;
      }
      const w = res.window;
      const c = res.context;
      const asked = [c.device && `device ${c.device}`, c.band && `${c.band}`].filter(Boolean).join(', ');
      console.log(
        `${res.items.length} ${list} items in ${res.scenario}, ${when(w.from)} to ${when(w.to)}${asked ? ` (${asked})` : ''}`,
      );
      if (c.fallback) console.log(`note: ${c.fallback}`);
      res.items.forEach((it, i) => {
        const value =
          list === 'new'
            ? `created ${when(it.createdAt ?? null)}`
            : `score ${it.score.toFixed(list === 'trending' ? 3 : 0)}, ${it.count} event${it.count === 1 ? '' : 's'}`;
        console.log(`${String(i + 1).padStart(2)}. ${it.title || it.item}  [${it.item}]  ${value}`);
      });
    });
}

export function registerLists(program: Command): void {
  for (const list of ['trending', 'popular', 'new'] as const) registerList(program, list);
}
