/** `fusionrec encode` end to end: real model, real store file, SIGINT, rerun, shared cache. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { itemSchema, scenarioSchema } from '../src/core/types.ts';
import { loadItemVectors } from '../src/encode/catalog.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const ROOT = join(import.meta.dirname, '..');
const DATA = join(ROOT, '..', 'shared', 'data');
const dir = mkdtempSync(join(tmpdir(), 'fusionrec-encode-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 120 real food-kitchen titles, spread over both scenarios */
async function makeDb(file: string): Promise<void> {
  const rows = readFileSync(join(DATA, 'food-kitchen', 'items.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean);
  const picked = Array.from({ length: 120 }, (_, i) => rows[i * 300]!.split('\t'));
  const store = new SqliteStore(file);
  await store.scenarios.upsert([
    scenarioSchema.parse({ id: 'food', kind: 'ecommerce' }),
    scenarioSchema.parse({ id: 'kitchen', kind: 'ecommerce' }),
  ]);
  await store.items.upsert(
    picked.map(([id, domain, , title]) => itemSchema.parse({ id, scenario: domain, title })),
  );
  await store.close();
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `interruptOn` sends SIGINT when stderr first matches it. */
function cli(args: string[], interruptOn?: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'fusionrec.js'), ...args], {
      cwd: dir,
      env: { ...process.env, FUSIONREC_ENCODER__THREADS: '1' },
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (interruptOn && !sent && interruptOn.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('fusionrec encode', () => {
  test('interrupt stops after the current step; rerun continues; a third run has nothing to do', async () => {
    const db = join(dir, 'a.db');
    await makeDb(db);
    const cache = join(dir, 'cache', 'emb.db');
    const first = await cli(
      ['encode', '--db', db, '--cache', cache, '--page-size', '40', '--json'],
      /encode: 0\/120/,
    );
    assert.equal(first.code, 130, first.stderr);
    const r1 = JSON.parse(first.stdout) as { items: number; interrupted: boolean; encoder: string };
    assert.equal(r1.interrupted, true);
    assert.ok(r1.items >= 40 && r1.items < 120, `stopped early, after ${r1.items} items`);

    const second = await cli(['encode', '--db', db, '--cache', cache, '--page-size', '40', '--json']);
    assert.equal(second.code, 0, second.stderr);
    const r2 = JSON.parse(second.stdout) as { unchanged: number; updated: number; modelTexts: number };
    assert.equal(r2.unchanged, r1.items, 'what the first run finished is kept');
    assert.equal(r2.updated, 120 - r1.items);

    const third = await cli(['encode', '--db', db, '--cache', cache, '--json']);
    const r3 = JSON.parse(third.stdout) as { unchanged: number; modelTexts: number };
    assert.equal(r3.unchanged, 120);
    assert.equal(r3.modelTexts, 0);

    const store = new SqliteStore(db);
    const iv = await loadItemVectors(store, r1.encoder);
    assert.equal(iv.ids.length, 120);
    assert.equal(iv.dim, 512);
    await store.close();

    // a fresh database with the same items takes every text vector from the shared cache
    const db2 = join(dir, 'b.db');
    await makeDb(db2);
    const fresh = await cli(['encode', '--db', db2, '--cache', cache]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /texts sent to the model 0, taken from the cache 120/);
  });

  test('a bad option is an error naming it', async () => {
    const r = await cli(['encode', '--db', join(dir, 'c.db'), '--page-size', 'zero']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_INPUT.*page-size/);
  });
});
