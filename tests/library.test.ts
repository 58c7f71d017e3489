/**
 * The package as a library user sees it: imported by its name (node resolves the package's own
 * name through `exports`), and the README's "Library" snippet run exactly as written, from a
 * folder holding its fusionrec.config.json, against a copy of the demo database.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createEngine, isRecError, loadConfig, RecError } from 'fusionrec';
import { SqliteStore } from '../src/store/sqlite.ts';
import { runNode } from './run-process.ts';
import { demoDbCopy } from './server-fixture.ts';

const ROOT = new URL('..', import.meta.url).pathname;

test('the package name resolves to the compiled dist/index.js, with its declarations, through exports', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, { types: string; default: string }>;
  };
  assert.equal(pkg.name, 'fusionrec');
  assert.deepEqual(pkg.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
  assert.equal(import.meta.resolve('fusionrec'), pathToFileURL(join(ROOT, 'dist/index.js')).href);
  assert.ok(existsSync(join(ROOT, 'dist/index.d.ts')), 'npm run build writes the declarations');
  assert.equal(typeof createEngine, 'function');
  assert.equal(typeof loadConfig, 'function');
  assert.ok(isRecError(new RecError('INVALID_INPUT', 'x')));
});

/** the first ```ts block under "## Library" */
function librarySnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Library'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README.md has a ```ts block under ## Library');
  return m[1]!;
}

// tsx from this package: the user's folder (the cwd) has no node_modules of its own
const node = (file: string, cwd: string) =>
  runNode(['--import', import.meta.resolve('tsx'), file], { cwd, env: { FUSIONREC_ENCODER__THREADS: '1' } });

test("the README's library snippet runs as written", async () => {
  const snippet = librarySnippet();
  assert.match(snippet, /from 'fusionrec'/, 'the snippet imports the package by its name');
  const { db } = await demoDbCopy();
  const cwd = mkdtempSync(join(tmpdir(), 'fusionrec-readme-'));
  // inside the package, so its bare import resolves to this package as it would in a user's project
  const scratch = join(ROOT, '.cache', `readme-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, 'library.ts');
  try {
    writeFileSync(join(cwd, 'fusionrec.config.json'), JSON.stringify({ store: { url: `sqlite://${db}` } }));
    writeFileSync(file, snippet);
    const r = await node(file, cwd);
    assert.equal(r.code, 0, r.stderr);
    // one line per recommendation, naming the retriever that proposed it
    const lines = r.stdout
      .split('\n')
      .filter((l) => /(collaborative|semantic|trending|popular|catalog)/.test(l));
    assert.ok(lines.length >= 10, r.stdout);
    const store = new SqliteStore(db);
    try {
      assert.ok(await store.events.hasEvent('e1'), 'the event the snippet added is stored');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
    rmSync(dirname(db), { recursive: true, force: true });
  }
});
