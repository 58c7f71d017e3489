/**
 * The package as npm ships it: `npm pack` of the built tree holds the compiled code, its
 * declarations and every file that code reads or runs next to itself, and nothing else; unpacked
 * into a folder outside the repository with only its `dependencies` beside it (no tsx, no
 * TypeScript), its CLI runs and its library imports and type-checks. The full `npm install` of
 * the tarball is `npm run test:pack` (minutes: it compiles better-sqlite3).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { writeOneEvent } from './cli-fixture.ts';
import { runNode } from './run-process.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  bin: Record<string, string>;
};
/** read from the sources only: the compiled code never loads it (see src/core/ts-worker.ts) */
const SOURCE_ONLY = new Set(['dist/core/ts-worker.mjs']);

let dir: string;
let files: string[];
let installed: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fusionrec-pack-'));
  // dist/ is fresh: scripts/test.mjs builds before the tests run
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const [report] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  files = report!.files.map((f) => f.path);
  // unpacked as npm would, with each runtime dependency linked from this checkout's install
  installed = join(dir, 'app', 'node_modules', 'fusionrec');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['xzf', join(dir, report!.filename), '-C', installed, '--strip-components=1']);
  for (const name of Object.keys(pkg.dependencies)) {
    const link = join(dir, 'app', 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), link);
  }
  writeFileSync(
    join(dir, 'app', 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

const jsFiles = () => files.filter((f) => f.endsWith('.js'));
const source = (f: string) => readFileSync(join(installed, f), 'utf8');

test('the tarball holds the compiled code and declarations, not the sources or the build state', () => {
  for (const f of [
    'bin/fusionrec.js',
    'dist/cli/main.js',
    'dist/index.js',
    'dist/index.d.ts',
    'web/index.html',
  ]) {
    assert.ok(files.includes(f), `${f} is packed`);
  }
  const stray = files.filter(
    (f) => /^(src|tests|bench|scripts)\//.test(f) || f.endsWith('.tsbuildinfo') || /(?<!\.d)\.ts$/.test(f),
  );
  assert.deepEqual(stray, []);
});

test('every file the compiled code opens by URL next to itself is packed', () => {
  const refs = /new URL\(\s*['"](\.{1,2}\/[^'"]*)['"],\s*import\.meta\.url\s*\)/g;
  let checked = 0;
  for (const f of jsFiles()) {
    for (const [, rel] of source(f).matchAll(refs)) {
      // project modules are named by their source URL; compiled, they run as the .js twin
      const target = posix.join(posix.dirname(f), rel!.replace(/\.ts$/, '.js'));
      if (SOURCE_ONLY.has(target)) continue;
      const present = target.endsWith('/') ? files.some((p) => p.startsWith(target)) : files.includes(target);
      assert.ok(present, `${f} opens ${rel}, which is not in the tarball (${target})`);
      checked++;
    }
  }
  // catalog.json, use-worker.mjs, the two TypeScript workers, web/, package.json at least
  assert.ok(checked >= 6, `found ${checked} references`);
});

test('every package the compiled code imports is a runtime dependency', () => {
  const bare =
    /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\(\s*|\brequire\.resolve\(\s*)['"]([^'"./$][^'"]*)['"]/g;
  const used = new Set<string>();
  for (const f of [...jsFiles(), ...files.filter((p) => p.endsWith('.mjs'))]) {
    // comments show usage (`import ... from 'fusionrec'`); only code counts
    const code = source(f)
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const [, spec] of code.matchAll(bare)) {
      if (spec!.startsWith('node:') || builtinModules.includes(spec!)) continue;
      used.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
    }
  }
  assert.ok(used.has('better-sqlite3') && used.has('commander'), [...used].join(' '));
  const missing = [...used].filter((p) => !(p in pkg.dependencies));
  assert.deepEqual(missing, [], 'imported by dist/ but not in dependencies');
  assert.ok(!used.has('tsx'), 'the compiled code does not need tsx');
});

test('unpacked with its dependencies only, the CLI runs: --help, import, stats, delete-user', async () => {
  const app = join(dir, 'app');
  const bin = join(installed, pkg.bin.fusionrec!);
  const help = await runNode([bin, '--help'], { cwd: app });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage: fusionrec/);
  for (const c of ['import', 'stats', 'delete-user', 'train', 'serve', 'recommend']) {
    assert.match(help.stdout, new RegExp(`\\n  ${c}\\b`), `--help lists ${c}`);
  }
  const data = writeOneEvent(join(app, 'data.jsonl'));
  const db = join(app, 'x.db');
  const imported = await runNode([bin, 'import', '--format', 'jsonl', '--db', db, data], { cwd: app });
  assert.equal(imported.code, 0, imported.stderr);
  const stats = await runNode([bin, 'stats', '--json', '--db', db], { cwd: app });
  assert.equal(stats.code, 0, stats.stderr);
  assert.equal((JSON.parse(stats.stdout) as { events: number }).events, 1);
  const del = await runNode([bin, 'delete-user', '--db', db, 'u1'], { cwd: app });
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stdout, /deleted user "u1"/);
});

test('unpacked, the library imports by name and its declarations type-check a caller', async () => {
  const app = join(dir, 'app');
  const run = await runNode(
    [
      '--input-type=module',
      '-e',
      "const m = await import('fusionrec'); console.log(typeof m.createEngine, import.meta.resolve('fusionrec'))",
    ],
    { cwd: app },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), `function ${pathToFileURL(join(installed, 'dist/index.js')).href}`);

  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['caller.ts'],
    }),
  );
  const check = (code: string) => {
    writeFileSync(join(app, 'caller.ts'), code);
    return runNode([tsc, '-p', join(app, 'tsconfig.json')], { cwd: app });
  };
  const good = await check(
    "import { createEngine, loadConfig, type RecommendResponse } from 'fusionrec';\n" +
      'export async function top(): Promise<number> {\n' +
      "  const e = await createEngine(loadConfig('x.json'));\n" +
      "  const r: RecommendResponse = await e.recommend({ user: 'u', scenario: 's', n: 3 });\n" +
      '  return r.items[0]?.score ?? 0;\n}\n',
  );
  assert.equal(good.code, 0, good.stdout + good.stderr);
  // a wrong call is caught, so the types are the real ones and not `any`
  const bad = await check("import { createEngine } from 'fusionrec';\nexport const e = createEngine(42);\n");
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout, /caller\.ts\(2,\d+\): error TS2345/);
});

test('compiled, startTsWorker runs the .js twin of the module it is given, without tsx', async () => {
  const { startTsWorker, readyOf, nextMessage } = (await import(
    pathToFileURL(join(installed, 'dist/core/ts-worker.js')).href
  )) as typeof import('../src/core/ts-worker.ts');
  const work = join(dir, 'worker');
  mkdirSync(work);
  writeFileSync(
    join(work, 'echo.js'),
    "import { parentPort, workerData } from 'node:worker_threads';\n" +
      "parentPort.postMessage({ type: 'ready' });\n" +
      'parentPort.postMessage({ got: workerData.x });\n',
  );
  assert.deepEqual(readdirSync(work), ['echo.js'], 'only the compiled twin exists');
  const w = startTsWorker(pathToFileURL(join(work, 'echo.ts')), { x: 7 });
  try {
    const reply = nextMessage<{ got?: number }>(w, 'echo', (m) => m.got !== undefined);
    await readyOf(w);
    assert.deepEqual(await reply, { got: 7 });
  } finally {
    await w.terminate();
  }
});
