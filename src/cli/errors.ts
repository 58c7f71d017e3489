/**
 * How the CLI ends on an error: one line on stderr that names the problem, and an exit code other
 * than 0 (1 for bad input, 2 for everything else). A stack trace helps only whoever debugs
 * fusionrec itself, so it is printed only with FUSIONREC_DEBUG=1.
 */
import { isRecError } from '../core/errors.ts';

/** one line: a message's own line breaks become "; " */
const oneLine = (s: string) =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');

function describeError(e: unknown): { line: string; exitCode: number } {
  if (isRecError(e))
    return { line: `error [${e.code}]: ${oneLine(e.message)}`, exitCode: e.status >= 500 ? 2 : 1 };
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  // better-sqlite3 (SQLITE_*) and Node's system errors (ENOENT, EACCES...) carry a code
  if (typeof code === 'string' && /^(SQLITE_|E[A-Z]+$)/.test(code))
    return {
      line: `error [${code.startsWith('SQLITE_') ? 'STORE_ERROR' : code}]: ${oneLine(err.message)}`,
      exitCode: 2,
    };
  return {
    line: `error [INTERNAL]: ${oneLine(err.message) || err.name} (FUSIONREC_DEBUG=1 prints the stack)`,
    exitCode: 2,
  };
}

/** Prints the error's line (and its stack under FUSIONREC_DEBUG=1) and sets the exit code. */
export function reportError(e: unknown): void {
  const { line, exitCode } = describeError(e);
  if (process.env.FUSIONREC_DEBUG === '1' && e instanceof Error) console.error(e.stack);
  console.error(line);
  process.exitCode = exitCode;
}

/** Errors that escape a command's promise (a timer, a stream, a worker) end the same way. */
export function reportUncaught(): void {
  const onError = (e: unknown) => {
    reportError(e);
    process.exit(process.exitCode ?? 2);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
}
