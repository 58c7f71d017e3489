#!/usr/bin/env node
// Runs every test file with node:test (Node 20 does not discover .ts files on its own).
// Builds dist/ first (incremental: seconds when nothing changed), since the CLI tests spawn
// bin/fusionrec.js and the library test imports the package by name, both of which run dist/.
// Usage: npm test [-- <file or folder> ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(p, out) {
  if (statSync(p).isDirectory()) {
    for (const f of readdirSync(p).sort()) if (f !== 'node_modules') collect(join(p, f), out);
  } else if (/\.test\.ts$/.test(p)) out.push(p);
  return out;
}

const args = process.argv.slice(2);
const roots = args.length ? args : ['src', 'tests'];
const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found under', roots.join(' '));
  process.exit(1);
}
const build = spawnSync(process.execPath, [new URL('build.mjs', import.meta.url).pathname], {
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, FUSIONREC_TEST: '1' } },
);
process.exit(r.status ?? 1);
