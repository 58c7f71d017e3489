/**
 * `npm run bench [-- name ...]`: runs every bench/*.ts (or the named ones) one after another as a
 * child process, streams what each prints, and ends with a table of wall time and peak resident
 * memory per benchmark. Benchmarks print numbers; nothing here asserts a time.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const MARK = '__fusionrec_peak_rss_kb=';
// preloaded into each child: reports its own peak RSS (ru_maxrss, KiB) on exit
const PRELOAD = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\n${MARK}'+process.resourceUsage().maxRSS+'\\n'))`;

interface Outcome {
  name: string;
  code: number | null;
  seconds: number;
  peakRssMb: number | undefined;
}

function runOne(file: string, signal: AbortSignal): Promise<Outcome> {
  const name = basename(file, '.ts');
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', PRELOAD, file], {
      stdio: ['ignore', 'inherit', 'pipe'],
      env: process.env,
    });
    let peak: number | undefined;
    let pending = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(MARK)) peak = Number(line.slice(MARK.length)) / 1024;
        else process.stderr.write(`${line}\n`);
      }
    });
    const stop = () => child.kill('SIGINT');
    signal.addEventListener('abort', stop, { once: true });
    child.on('close', (code) => {
      signal.removeEventListener('abort', stop);
      if (pending && !pending.startsWith(MARK)) process.stderr.write(pending);
      else if (pending.startsWith(MARK)) peak = Number(pending.slice(MARK.length)) / 1024;
      resolve({ name, code, seconds: (performance.now() - started) / 1000, peakRssMb: peak });
    });
  });
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const all = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
    .sort();
  const unknown = wanted.filter((w) => !all.includes(`${w}.ts`));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; available: ${all.map((f) => basename(f, '.ts')).join(', ')}`,
    );
    process.exitCode = 1;
    return;
  }
  const files = wanted.length > 0 ? wanted.map((w) => `${w}.ts`) : all;
  const controller = new AbortController();
  process.on('SIGINT', () => controller.abort());
  const outcomes: Outcome[] = [];
  for (const f of files) {
    if (controller.signal.aborted) break;
    console.log(`\n=== bench/${f} ===`);
    outcomes.push(await runOne(join(here, f), controller.signal));
  }
  console.log('\n=== summary ===');
  console.log(
    `${'benchmark'.padEnd(16)}${'exit'.padStart(6)}${'wall s'.padStart(10)}${'peak RSS MB'.padStart(14)}`,
  );
  for (const o of outcomes) {
    console.log(
      `${o.name.padEnd(16)}${String(o.code).padStart(6)}${o.seconds.toFixed(1).padStart(10)}${(o.peakRssMb === undefined ? '?' : o.peakRssMb.toFixed(0)).padStart(14)}`,
    );
  }
  if (outcomes.some((o) => o.code !== 0)) process.exitCode = 1;
}

await main();
