/**
 * Start-up time of the CLI: `--help`, `stats` and `delete-user` (an unknown user, so every run
 * does the same work) on a one-event database, each run as a new process, median of `--runs`.
 * Columns: the TypeScript sources under tsx with its compile cache (what `node --import tsx`
 * costs once the cache is warm), the same with the cache off (a first run after an edit or on a
 * fresh machine), and the compiled dist/ that bin/fusionrec.js runs.
 *   npm run bench:cli-start [-- --runs 7]
 * Prints numbers; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeOneEvent } from '../tests/cli-fixture.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(args.runs);

const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-cli-start-'));
const db = join(dir, 'one.db');
const bin = join(ROOT, 'bin/fusionrec.js');
// the sources run as the CLI did before dist/: tsx's loader, then src/cli/main.ts
const runner = join(dir, 'from-source.mjs');
writeFileSync(
  runner,
  `const { main } = await import(${JSON.stringify(join(ROOT, 'src/cli/main.ts'))});\nawait main(process.argv);\n`,
);
const fromSource = ['--import', import.meta.resolve('tsx'), runner];
const variants: { name: string; argv: string[]; env?: NodeJS.ProcessEnv }[] = [
  { name: 'tsx (cached)', argv: fromSource },
  { name: 'tsx (no cache)', argv: fromSource, env: { TSX_DISABLE_CACHE: '1' } },
  { name: 'dist', argv: [bin] },
];
const commands: { name: string; args: string[]; code: number }[] = [
  { name: '--help', args: ['--help'], code: 0 },
  { name: 'stats', args: ['stats', '--db', db], code: 0 },
  { name: 'delete-user', args: ['delete-user', '--db', db, 'nobody'], code: 1 },
];

// preloaded into each run: prints the process's CPU time (all threads) as it exits
const cpuProbe = join(dir, 'cpu.mjs');
writeFileSync(
  cpuProbe,
  "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\nCPU_US ' + (u.user + u.system) + '\\n'); });\n",
);

/** wall-clock and CPU milliseconds of one run */
function time(argv: string[], env: NodeJS.ProcessEnv | undefined, expect: number): [number, number] {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', cpuProbe, ...argv], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const ms = performance.now() - t;
  if (r.status !== expect) throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const cpu = /CPU_US (\d+)/.exec(r.stderr);
  return [ms, cpu ? Number(cpu[1]) / 1000 : Number.NaN];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const data = writeOneEvent(join(dir, 'one.jsonl'));
  time([bin, 'import', '--format', 'jsonl', '--db', db, data], undefined, 0);
  console.log(
    `CLI start-up, median of ${runs} runs (ms); ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; node ${process.version}`,
  );
  console.log('wall-clock / CPU time (CPU is the figure to compare on a busy machine)');
  console.log(['command'.padEnd(12), ...variants.map((v) => v.name.padStart(18))].join(''));
  for (const c of commands) {
    const cells = variants.map((v) => {
      time([...v.argv, ...c.args], v.env, c.code); // warms the OS file cache (and tsx's, when on)
      const all = Array.from({ length: runs }, () => time([...v.argv, ...c.args], v.env, c.code));
      return `${median(all.map((x) => x[0])).toFixed(0)} / ${median(all.map((x) => x[1])).toFixed(0)}`;
    });
    console.log([c.name.padEnd(12), ...cells.map((x) => x.padStart(18))].join(''));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
