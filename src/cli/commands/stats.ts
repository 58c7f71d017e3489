import type { Command } from 'commander';
import type { StoreStats } from '../../store/types.ts';
import { readConfig, withStore } from '../options.ts';

const n = (x: number) => x.toLocaleString('en-US');

function formatStats(url: string, st: StoreStats): string {
  const width = Math.max(8, ...st.scenarios.map((s) => s.scenario.length));
  const row = (a: string, b: string, c: string, d: string) =>
    `  ${a.padEnd(width)}  ${b.padStart(10)}  ${c.padStart(10)}  ${d.padStart(12)}`;
  const kv = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${n(v)}`)
      .join(', ') || '-';
  return [
    `store ${url}`,
    `items ${n(st.items)}, users ${n(st.users)}, events ${n(st.events)}`,
    row('scenario', 'items', 'users', 'events'),
    ...st.scenarios.map((s) => row(s.scenario, n(s.items), n(s.users), n(s.events))),
    `users active in several scenarios: ${n(st.multiScenarioUsers)}`,
    `  within one split: ${kv(st.multiScenarioUsersBySplit)}`,
    `events per type: ${kv(st.eventsByType)}`,
    `events per split: ${kv(st.eventsBySplit)}`,
  ].join('\n');
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('items, users and events per scenario, multi-scenario users, events per type and split')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--json', 'print as JSON')
    .action(async (opts: { db?: string; json?: boolean }, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      await withStore(config, async (store) => {
        const st = await store.stats();
        console.log(opts.json ? JSON.stringify(st, null, 2) : formatStats(store.url, st));
      });
    });
}
