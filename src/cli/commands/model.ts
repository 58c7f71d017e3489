import type { Command } from 'commander';
import { activateVersion, activeVersion, listVersions, type ModelVersion } from '../../model/versions.ts';
import { readConfig, withStore } from '../options.ts';

interface ModelOpts {
  db?: string;
  json?: boolean;
}

function formatVersions(list: readonly ModelVersion[], active: string | undefined): string {
  if (list.length === 0) return 'no model versions stored: run `fusionrec train`';
  const rows = list.map((v) => [
    v.version === active ? '*' : ' ',
    v.version,
    v.createdAt.replace('T', ' ').slice(0, 19),
    v.metrics.validNdcg10.toFixed(4),
    String(v.metrics.validCases + v.metrics.heldOutCases),
    `${v.trainingSeconds.toFixed(1)}s`,
    v.dataHash,
    v.configHash,
  ]);
  const head = ['', 'version', 'created (UTC)', 'NDCG@10', 'cases', 'trained in', 'data hash', 'config hash'];
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => cell.padEnd(width[c]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line), '', '* = active (served)'].join('\n');
}

/** `fusionrec model list|activate`: the trained model versions of a store (src/model/versions.ts) */
export function registerModel(program: Command): void {
  const model = program
    .command('model')
    .description('list the trained model versions, activate one (roll back or forward)');
  model
    .command('list')
    .description('every stored model version, newest first, with its offline metrics; * marks the active one')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .option('--json', 'print as JSON')
    .action(async (opts: ModelOpts, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      await withStore(config, async (store) => {
        const active = (await activeVersion(store))?.version;
        const list = await listVersions(store);
        console.log(
          opts.json
            ? JSON.stringify(
                {
                  active: active ?? null,
                  versions: list.map((v) => ({ ...v, active: v.version === active })),
                },
                null,
                2,
              )
            : formatVersions(list, active),
        );
      });
    });
  model
    .command('activate')
    .description(
      'make a stored version the one served; running servers over the same store swap to it within engine.modelPollSeconds',
    )
    .argument('<version>', 'a version id from `fusionrec model list`')
    .option('--db <file>', 'SQLite file or store URL (default: config store.url)')
    .action(async (version: string, opts: ModelOpts, cmd: Command) => {
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      await withStore(config, async (store) => {
        const active = await activateVersion(store, version);
        console.log(`model version ${active.version} is active`);
      });
    });
}
