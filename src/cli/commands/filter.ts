import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import { createEngine } from '../../engine/create.ts';
import { type FilterInput, NamedFilters } from '../../engine/named-filters.ts';
import { readConfig, withStore } from '../options.ts';

/** a filter on the command line: its JSON form when it starts with `{`, else expression text */
export function filterArg(raw: string, field: string): FilterInput {
  if (!raw.trimStart().startsWith('{')) return raw;
  try {
    return JSON.parse(raw) as FilterInput;
  } catch (e) {
    throw new RecError('INVALID_INPUT', `not valid JSON: ${(e as Error).message}`, { field });
  }
}

export function registerFilter(program: Command): void {
  const filter = program
    .command('filter')
    .description('named filters, referenced by requests as filterName or promote.filterName (docs/api.md)');
  filter
    .command('set <name> <filter>')
    .description(
      'store a named filter (expression text, or its JSON form), type-checked against the catalog first',
    )
    .option('--description <text>', 'what the filter is for')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .action(async (name: string, raw: string, opts: { description?: string; db?: string }, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      // the engine knows the catalog's fields; no encoder is needed to check a filter
      const engine = await createEngine(config, { encoder: null, onWarning: () => {} });
      try {
        const body = {
          filter: filterArg(raw, 'filter'),
          ...(opts.description ? { description: opts.description } : {}),
        };
        const f = await engine.filters!.set(name, body);
        console.log(`stored filter "${f.name}"`);
      } finally {
        await engine.close();
      }
    });
  filter
    .command('list')
    .description('the named filters')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--json', 'print them as JSON')
    .action(async (opts: { db?: string; json?: boolean }, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const all = await withStore(config, (store) => new NamedFilters(store).list());
      if (opts.json) {
        console.log(JSON.stringify(all, null, 2));
        return;
      }
      if (all.length === 0) console.log('no named filters');
      for (const f of all) {
        const text = typeof f.filter === 'string' ? f.filter : JSON.stringify(f.filter);
        console.log(`${f.name}\t${text}${f.description ? `\t(${f.description})` : ''}`);
      }
    });
  filter
    .command('delete <name>')
    .description('delete a named filter')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .action(async (name: string, opts: { db?: string }, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const gone = await withStore(config, (store) => new NamedFilters(store).delete(name));
      if (!gone) throw new RecError('NOT_FOUND', `no named filter "${name}"`, { field: 'name' });
      console.log(`deleted filter "${name}"`);
    });
}
