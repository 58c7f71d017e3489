/** `fusionrec distil` then `fusionrec encode` with encoder.provider "distilled": real model, real store file. */
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
const dir = mkdtempSync(join(tmpdir(), 'fusionrec-distil-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'fusionrec.js'), ...args], {
      cwd: dir,
      env: { ...process.env, FUSIONREC_ENCODER__THREADS: '1', FUSIONREC_ENCODER__CACHE_PATH: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('fusionrec distil', () => {
  test('builds the table from the catalog; encode with provider distilled uses it, and says what to do without it', async () => {
    const db = join(dir, 'a.db');
    const rows = readFileSync(join(DATA, 'food-kitchen', 'items.tsv'), 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean);
    const store = new SqliteStore(db);
    await store.scenarios.upsert([scenarioSchema.parse({ id: 'kitchen', kind: 'ecommerce' })]);
    await store.items.upsert(
      Array.from({ length: 30 }, (_, i) => rows[i * 500]!.split('\t')).map(([id, , , title]) =>
        itemSchema.parse({ id, scenario: 'kitchen', title }),
      ),
    );
    await store.close();
    const distilled = { FUSIONREC_ENCODER__PROVIDER: 'distilled' };

    const missing = await cli(['encode', '--db', db], distilled);
    assert.notEqual(missing.code, 0);
    assert.match(
      missing.stderr,
      /no distilled encoder table from "use" in the store; build one with `fusionrec distil`/,
    );

    const built = await cli(['distil', '--db', db, '--json']);
    assert.equal(built.code, 0, built.stderr);
    const report = JSON.parse(built.stdout) as { source: string; items: number; words: number; dim: number };
    assert.equal(report.source, 'use-lite@0.2.0');
    assert.equal(report.items, 30);
    assert.ok(report.words > 50, `${report.words} words`);
    assert.ok(report.dim <= 256);

    const enc = await cli(['encode', '--db', db, '--json'], distilled);
    assert.equal(enc.code, 0, enc.stderr);
    const r = JSON.parse(enc.stdout) as { encoder: string; updated: number };
    assert.match(r.encoder, /^distil\(use-lite@0\.2\.0\)#[0-9a-f]{12}$/);
    assert.equal(r.updated, 30);
    const check = new SqliteStore(db);
    const v = await loadItemVectors(check, r.encoder);
    await check.close();
    assert.equal(v.ids.length, 30);
    assert.equal(v.dim, report.dim);
  });
});
