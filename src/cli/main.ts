import { Command } from 'commander';
import { registerConfig } from './commands/config.ts';
import { registerDeleteUser } from './commands/delete-user.ts';
import { registerDemo } from './commands/demo.ts';
import { registerEncode } from './commands/encode.ts';
import { registerEval } from './commands/eval.ts';
import { registerExperiment } from './commands/experiment.ts';
import { registerExplain } from './commands/explain.ts';
import { registerImport } from './commands/import.ts';
import { registerProfile } from './commands/profile.ts';
import { registerRecommend } from './commands/recommend.ts';
import { registerReplay } from './commands/replay.ts';
import { registerServe } from './commands/serve.ts';
import { registerStats } from './commands/stats.ts';
import { registerTrain } from './commands/train.ts';
import { registerUp } from './commands/up.ts';
import { reportError, reportUncaught } from './errors.ts';

/** Each command lives in its own file under commands/ and only calls the library. */
export function buildProgram(): Command {
  const program = new Command('fusionrec')
    .description('Multi-scenario recommendation engine with language-model fusion')
    .option('-c, --config <file>', 'JSON configuration file (see docs/config.md)')
    .showHelpAfterError('(add --help for usage)');
  registerConfig(program);
  registerImport(program);
  registerStats(program);
  registerDeleteUser(program);
  registerEval(program);
  registerEncode(program);
  registerTrain(program);
  registerServe(program);
  registerUp(program);
  registerDemo(program);
  registerRecommend(program);
  registerProfile(program);
  registerExplain(program);
  registerExperiment(program);
  registerReplay(program);
  return program;
}

/** Every error ends as one line naming the problem and an exit code other than 0 (cli/errors.ts). */
export async function main(argv: string[]): Promise<void> {
  reportUncaught();
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    reportError(e);
  }
}
