#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ (JavaScript and declarations; incremental, so a
// build with nothing changed takes a couple of seconds), then copies the files the compiled code
// reads next to itself at run time: JSON data (src/demo/catalog.json) and plain-JavaScript worker
// entries (src/encode/use-worker.mjs). ts-worker.mjs is left out: it loads TypeScript workers under
// tsx, which only a run from the sources needs (see src/core/ts-worker.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');

// --clean (npm's `prepare`, so a packed tarball never carries the output of a deleted source)
if (process.argv.includes('--clean')) rmSync(DIST, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

const isAsset = (f) =>
  (f.endsWith('.json') || f.endsWith('.mjs')) && !f.includes('.fixture.') && f !== 'ts-worker.mjs';

function copyAssets(dir) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) copyAssets(p);
    else if (isAsset(f)) {
      const to = join(DIST, relative(SRC, p));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(p, to);
    }
  }
}
copyAssets(SRC);
