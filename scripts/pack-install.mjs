#!/usr/bin/env node
// `npm run test:pack`: the package installed as a user installs it. Packs this checkout (npm runs
// `prepare`, which builds dist/), installs the tarball with `npm install` into a new folder outside
// the repository (dependencies from npm's cache where it has them, else the registry; native
// modules build there), then runs `npx fusionrec --help`, `demo` (3 users: it encodes the demo
// catalog with the language model) and `stats` there. Takes minutes (most of it compiling
// better-sqlite3), so `npm test` runs the cheaper tests/package.test.ts instead.
// Usage: npm run test:pack [-- --keep]   (--keep leaves the folder for inspection)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const keep = process.argv.includes('--keep');
const dir = mkdtempSync(join(tmpdir(), 'fusionrec-install-'));
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? 'skip' };

function run(cmd, args, opts = {}) {
  const started = Date.now();
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const out = execFileSync(cmd, args, {
    cwd: dir,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    ...opts,
  });
  console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return out;
}

let failed = false;
try {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT }));
  const tgz = join(dir, packed.filename);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  run('npm', ['install', tgz, '--prefer-offline', '--no-audit', '--no-fund']);
  const help = run('npx', ['--no-install', 'fusionrec', '--help']);
  if (!/Usage: fusionrec/.test(help)) throw new Error(`--help printed:\n${help}`);
  run('npx', ['--no-install', 'fusionrec', 'demo', '--db', 'demo.db', '--users', '3']);
  const stats = JSON.parse(run('npx', ['--no-install', 'fusionrec', 'stats', '--json', '--db', 'demo.db']));
  if (!(stats.items > 0 && stats.users === 3 && stats.events > 0))
    throw new Error(`stats: ${JSON.stringify(stats)}`);
  console.log(
    `ok: installed from ${packed.filename} (${packed.entryCount} files), demo + stats: ${stats.items} items, ${stats.users} users, ${stats.events} events`,
  );
} catch (e) {
  failed = true;
  console.error(`pack-install failed: ${e.message}`);
} finally {
  if (keep) console.log(`left in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
