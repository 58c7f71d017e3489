import { Command } from 'commander';
import { reportError, reportUncaught } from './errors.ts';

type Register = (program: Command) => void;

/**
 * Each command lives in its own file under commands/ and only calls the library. The files are
 * imported on demand: a command's file pulls in what its action needs (the encoder, the server,
 * the training pipeline), and `stats` should not wait for fastify or tfjs to load.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  config: async () => (await import('./commands/config.ts')).registerConfig,
  import: async () => (await import('./commands/import.ts')).registerImport,
  stats: async () => (await import('./commands/stats.ts')).registerStats,
  'delete-user': async () => (await import('./commands/delete-user.ts')).registerDeleteUser,
  eval: async () => (await import('./commands/eval.ts')).registerEval,
  encode: async () => (await import('./commands/encode.ts')).registerEncode,
  distil: async () => (await import('./commands/distil.ts')).registerDistil,
  train: async () => (await import('./commands/train.ts')).registerTrain,
  model: async () => (await import('./commands/model.ts')).registerModel,
  serve: async () => (await import('./commands/serve.ts')).registerServe,
  up: async () => (await import('./commands/up.ts')).registerUp,
  demo: async () => (await import('./commands/demo.ts')).registerDemo,
  recommend: async () => (await import('./commands/recommend.ts')).registerRecommend,
  profile: async () => (await import('./commands/profile.ts')).registerProfile,
  explain: async () => (await import('./commands/explain.ts')).registerExplain,
  filter: async () => (await import('./commands/filter.ts')).registerFilter,
  experiment: async () => (await import('./commands/experiment.ts')).registerExperiment,
  replay: async () => (await import('./commands/replay.ts')).registerReplay,
  // one file registers the three lists
  trending: async () => (await import('./commands/lists.ts')).registerLists,
  popular: async () => (await import('./commands/lists.ts')).registerLists,
  new: async () => (await import('./commands/lists.ts')).registerLists,
  'export-recs': async () => (await import('./commands/export-recs.ts')).registerExportRecs,
};

/** the command `argv` names (its first word that is neither an option nor an option's value) */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * The program with the command `argv` names registered, or with every command when it names none
 * of them (`--help`, a typo: the listing and the suggestions need them all).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('fusionrec')
    .description('Multi-scenario recommendation engine with language-model fusion')
    .option('-c, --config <file>', 'JSON configuration file (see docs/config.md)')
    .showHelpAfterError('(add --help for usage)');
  const name = commandName(argv);
  const wanted =
    name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]!] : Object.values(COMMANDS);
  // a file may register several commands (the lists): each register runs once
  for (const register of new Set(await Promise.all(wanted.map((load) => load())))) register(program);
  return program;
}

/** Every error ends as one line naming the problem and an exit code other than 0 (cli/errors.ts). */
export async function main(argv: string[]): Promise<void> {
  reportUncaught();
  try {
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (e) {
    reportError(e);
    // a forked server worker stays alive while its IPC channel is open: end it, so the primary sees the failure
    if (process.send) process.exit(process.exitCode ?? 2);
  }
}
