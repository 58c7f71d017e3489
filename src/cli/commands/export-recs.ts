import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { RecError } from '../../core/errors.ts';
import { idSchema } from '../../core/types.ts';
import { exportRecs } from '../export-recs.ts';
import { interruptOnSigint, parseNumber, readConfig, requestContext } from '../options.ts';
import { progressReporter } from '../progress.ts';

interface Opts {
  db?: string;
  scenario: string;
  out: string;
  users?: string;
  n: string;
  workers?: string;
  reasons?: boolean;
  device?: string;
  hour?: string;
  weekday?: string;
  json?: boolean;
}

/** one user id a line; blank lines skipped; a bad id names its line */
function readUsers(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RecError('NOT_FOUND', `cannot read the users file ${file}`, { field: 'users', cause: e });
  }
  const users: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') return;
    if (!idSchema.safeParse(line).success) {
      throw new RecError('INVALID_INPUT', 'not a user id', { location: `${file}:${i + 1}` });
    }
    users.push(line);
  });
  return users;
}

export function registerExportRecs(program: Command): void {
  program
    .command('export-recs')
    .description(
      'recommendations for every user (or those listed) as JSON lines, the answers of /v1/recommend; resumable: users already in --out are skipped',
    )
    .requiredOption('-s, --scenario <id>', 'target scenario')
    .requiredOption('-o, --out <file>', 'output file (JSON lines), created or continued')
    .option('--db <file>', 'database (overrides store.url)')
    .option('--users <file>', 'user ids, one a line (default: every stored user)')
    .option('-n <count>', 'items per user', '10')
    .option('--workers <count>', 'worker threads, each with its own engine (default: one per core)')
    .option('--reasons', "write each item's whole reasons, as the API gives them")
    .option('--device <name>', 'context of every request: device (mobile, desktop, tv, ...)')
    .option('--hour <0-23>', 'context of every request: hour of day (default: the time of each request)')
    .option(
      '--weekday <0-6>',
      'context of every request: day of the week, 0 = Sunday (default: the time of each request)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: Opts, cmd: Command) => {
      const n = parseNumber(opts.n, 'n', 1, 1000);
      const workers =
        opts.workers === undefined ? availableParallelism() : parseNumber(opts.workers, 'workers', 1, 64);
      const users = opts.users === undefined ? undefined : readUsers(opts.users);
      const context = requestContext(opts);
      const config = readConfig(cmd.optsWithGlobals().config, { db: opts.db });
      const interrupt = interruptOnSigint('export-recs: stopping after the batches in flight are written');
      const progress = progressReporter('export-recs');
      try {
        const r = await exportRecs({
          config,
          scenario: opts.scenario,
          n,
          out: opts.out,
          ...(users ? { users } : {}),
          workers,
          reasons: opts.reasons === true,
          ...(context ? { context } : {}),
          signal: interrupt.signal,
          onProgress: (done, total) => progress.update(done, total),
        });
        progress.stop();
        // the engines' loading is paid once per run, whatever the number of users: left out of the rate
        const rate = r.written / Math.max(r.seconds - r.loadSeconds, 1e-3);
        if (opts.json) console.log(JSON.stringify({ ...r, usersPerSecond: rate }, null, 2));
        else
          console.log(
            `${r.written} users written to ${opts.out} (${r.skipped} already there, ${r.users} in all) in ${r.seconds.toFixed(1)} s (${r.loadSeconds.toFixed(1)} s loading): ${rate.toFixed(1)} users/s${r.interrupted ? '; interrupted: run again to continue' : ''}`,
          );
        if (r.interrupted) process.exitCode = 130;
      } finally {
        progress.stop();
        interrupt.release();
      }
    });
}
