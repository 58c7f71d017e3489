import { Command } from 'commander';
import { isRecError } from '../core/errors.ts';
import { registerConfig } from './commands/config.ts';
import { registerDeleteUser } from './commands/delete-user.ts';
import { registerDemo } from './commands/demo.ts';
import { registerEncode } from './commands/encode.ts';
import { registerEval } from './commands/eval.ts';
import { registerExplain } from './commands/explain.ts';
import { registerImport } from './commands/import.ts';
import { registerModel } from './commands/model.ts';
import { registerProfile } from './commands/profile.ts';
import { registerRecommend } from './commands/recommend.ts';
import { registerServe } from './commands/serve.ts';
import { registerStats } from './commands/stats.ts';
import { registerTrain } from './commands/train.ts';
import { registerUp } from './commands/up.ts';

/** Each command lives in its own file under commands/ and only calls the library. */
export function buildProgram(): Command {
  const program = new Command('fusionrec')
    .description('Multi-scenario recommendation engine with language-model fusion')
    .option('-c, --config <file>', 'JSON configuration file (see docs/config.md)')
    .showHelpAfterError();
  registerConfig(program);
  registerImport(program);
  registerStats(program);
  registerDeleteUser(program);
  registerEval(program);
  registerEncode(program);
  registerTrain(program);
  registerModel(program);
  registerServe(program);
  registerUp(program);
  registerDemo(program);
  registerRecommend(program);
  registerProfile(program);
  registerExplain(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (isRecError(e)) {
      console.error(`error [${e.code}]: ${e.message}`);
      process.exitCode = e.status >= 500 ? 2 : 1;
      return;
    }
    throw e;
  }
}
