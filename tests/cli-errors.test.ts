/**
 * Every error path of the CLI as a user meets it: the process exits with a code other than 0, and
 * stderr holds exactly one error line that names the problem, and no stack frame. A mistyped
 * `--db` creates nothing, and a failed import into a new database leaves no file behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { writeOneEvent } from './cli-fixture.ts';
import { DATA, noData, tempDir } from './import-helpers.ts';
import { BIN, runNode } from './run-process.ts';

const tmp = tempDir('cli-errors');
after(tmp.cleanup);
const at = (...p: string[]) => join(tmp.dir, ...p);

/** Runs the CLI and checks the shape every error shares; returns the error line. */
async function fails(args: string[], names: RegExp, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await runNode([BIN, ...args], { env: { FUSIONREC_ENCODER__THREADS: '1', ...env }, cwd: tmp.dir });
  const what = `fusionrec ${args.join(' ')}\n--- stderr:\n${r.stderr}`;
  assert.notEqual(r.code, 0, `exit code 0: ${what}`);
  assert.doesNotMatch(r.stderr, /^ {4}at /m, `a stack trace: ${what}`);
  const errors = r.stderr.split('\n').filter((l) => /^error\b/.test(l));
  assert.equal(errors.length, 1, `one error line: ${what}`);
  assert.match(errors[0]!, names, what);
  return errors[0]!;
}

describe('CLI error paths: one line, exit code not 0, no stack trace', { concurrency: 4 }, () => {
  const db = at('small.db');
  before(async () => {
    const file = writeOneEvent(at('small.jsonl'));
    const store = new SqliteStore(db);
    await importDataset(store, 'jsonl', file);
    await store.close();
    writeFileSync(at('notes.txt'), 'my shopping list\n');
    writeFileSync(at('bad.json'), '{"engine": {');
    writeFileSync(at('wrong.json'), JSON.stringify({ engine: { diversity: 5 } }));
    mkdirSync(at('folder'));
  });

  test('unknown command, unknown option, missing option, bad number', async () => {
    await fails(['recomend', 'u1'], /unknown command 'recomend'/);
    await fails(['stats', '--dbb', db], /unknown option '--dbb'/);
    await fails(['recommend', 'u1', '--db', db], /required option '-s, --scenario <id>'/);
    await fails(['recommend', 'u1', '-s', 'shop', '-n', 'lots', '--db', db], /INVALID_INPUT.*"n"/);
    await fails(['explain', 'u1', 'sku-1', '--hour', '25', '--db', db], /INVALID_INPUT.*"hour"/);
    await fails(['encode', '--page-size', '0', '--db', db], /INVALID_INPUT.*"page-size"/);
  });

  test('a --db that is not there is refused by every reading command, and nothing is created', async () => {
    const missing = at('typo', 'nested', 'shop.db');
    for (const args of [
      ['stats'],
      ['recommend', 'u1', '-s', 'shop'],
      ['profile', 'u1'],
      ['explain', 'u1', 'sku-1'],
      ['delete-user', 'u1'],
      ['trending', '-s', 'shop'],
      ['new', '-s', 'shop'],
      ['export-recs', '-s', 'shop', '--out', 'recs.jsonl'],
      ['train'],
      ['encode'],
      ['serve', '--port', '0'],
    ]) {
      const line = await fails(
        [...args, '--db', missing],
        /NOT_FOUND.*no database at .*shop\.db \(--db\).*fusionrec import/,
      );
      assert.ok(line.includes(missing), line);
    }
    assert.equal(existsSync(at('typo')), false, 'no folder was made for a mistyped --db');
    await fails(['stats'], /NOT_FOUND.*no database at fusionrec\.db \(store\.url\)/);
    assert.equal(existsSync(at('fusionrec.db')), false);
  });

  test('a --db that is a text file or a folder is named, for reading and for importing', async () => {
    await fails(['stats', '--db', 'notes.txt'], /--db notes\.txt is not a fusionrec database/);
    await fails(
      ['recommend', 'u1', '-s', 'shop', '--db', 'notes.txt'],
      /--db notes\.txt is not a fusionrec database/,
    );
    await fails(
      ['import', '-f', 'jsonl', '--db', 'notes.txt', 'small.jsonl'],
      /--db notes\.txt is not a fusionrec database/,
    );
    await fails(['stats', '--db', 'folder'], /--db folder is a folder/);
    assert.equal(readFileSync(at('notes.txt'), 'utf8'), 'my shopping list\n', 'the text file is untouched');
  });

  test('bad config: a missing file, a file that is not JSON, a bad value, a bad environment value', async () => {
    await fails(['--config', 'nope.json', 'stats', '--db', db], /INVALID_CONFIG.*nope\.json/);
    await fails(['--config', 'bad.json', 'stats', '--db', db], /INVALID_CONFIG.*bad\.json/);
    await fails(['--config', 'wrong.json', 'stats', '--db', db], /INVALID_CONFIG.*diversity/);
    await fails(['stats', '--db', db], /INVALID_CONFIG.*server\.port/, { FUSIONREC_SERVER__PORT: 'eighty' });
    await fails(['stats', '--db', 'postgres://127.0.0.1:1/x'], /store\.url|postgres|ECONNREFUSED/);
  });

  test('an unknown user or item is named (recommend answers with a note instead)', async () => {
    await fails(['profile', 'nobody', '--db', db], /UNKNOWN_USER.*"nobody"/);
    await fails(['explain', 'nobody', 'sku-1', '--db', db], /UNKNOWN_USER.*"nobody"/);
    await fails(['explain', 'u1', 'nothing', '--db', db], /UNKNOWN_ITEM.*"nothing"/);
    await fails(['delete-user', 'nobody', '--db', db], /UNKNOWN_USER.*"nobody"/);
  });

  test('import: unknown format, missing dataset, bad record; a new database is removed again', async () => {
    await fails(
      ['import', '-f', 'parquet', '--db', 'new1.db', 'small.jsonl'],
      /INVALID_INPUT.*unknown format "parquet"/,
    );
    await fails(
      ['import', '-f', 'food-kitchen', '--db', 'new2/fk.db', 'no/such/folder'],
      /NOT_FOUND.*items\.tsv/,
    );
    writeFileSync(at('bad.jsonl'), '{"kind": "item", "id": "x"}\n');
    await fails(['import', '-f', 'jsonl', '--db', 'new3.db', 'bad.jsonl'], /bad\.jsonl:1/);
    await fails(['eval-table', 'no-results.json'], /no-results\.json/);
    const left = readdirSync(tmp.dir).filter((f) => f.startsWith('new'));
    assert.deepEqual(left, [], 'no database, -wal, -shm or folder left behind');
  });

  test('import of a truncated dataset file names the file and line, leaves nothing', {
    skip: noData,
  }, async () => {
    const dir = at('fk-cut');
    mkdirSync(dir);
    for (const f of readdirSync(join(DATA, 'food-kitchen'))) {
      if (f !== 'train_B.txt') symlinkSync(join(DATA, 'food-kitchen', f), join(dir, f));
    }
    const whole = readFileSync(join(DATA, 'food-kitchen', 'train_B.txt'));
    const cut = whole.subarray(0, whole.indexOf(0x0a, whole.length >> 1) + 5);
    writeFileSync(join(dir, 'train_B.txt'), cut);
    const lines = cut.toString('latin1').split('\n').length;
    await fails(
      ['import', '-f', 'food-kitchen', '--db', 'cut/fk.db', dir],
      new RegExp(`PARSE_ERROR.*train_B\\.txt:${lines}.*cut short`),
    );
    assert.equal(existsSync(at('cut')), false, 'the database and its folder are removed');
  });
});
