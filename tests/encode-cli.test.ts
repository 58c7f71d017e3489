/** `fusionrec encode` end to end: real model, real store file, SIGINT, rerun, shared cache. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { itemSchema, scenarioSchema } from '../src/core/types.ts';
import { ENRICH_NAMESPACE, loadItemVectors } from '../src/encode/catalog.ts';
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
function cli(args: string[], interruptOn?: RegExp, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'fusionrec.js'), ...args], {
      cwd: dir,
      env: { ...process.env, FUSIONREC_ENCODER__THREADS: '1', ...env },
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

  test('--enrich with a configured chat model: generated keywords are stored apart and encoded', async () => {
    // a local OpenAI-compatible chat server; it fails the first item's request for good
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        const prompt = (JSON.parse(raw) as { messages: { content: string }[] }).messages[1]!.content;
        if (prompt.includes('title: Enfamil Prosobee')) {
          res.statusCode = 400;
          res.end('{"error":"refused"}');
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            choices: [
              {
                message: {
                  role: 'assistant',
                  content: '{"description": "Generated.", "keywords": ["pantry"]}',
                },
              },
            ],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const db = join(dir, 'e.db');
      const store = new SqliteStore(db);
      await store.scenarios.upsert([scenarioSchema.parse({ id: 'food', kind: 'ecommerce' })]);
      const rows = readFileSync(join(DATA, 'food-kitchen', 'items.tsv'), 'utf8')
        .split('\n')
        .slice(1, 6);
      await store.items.upsert(
        rows
          .map((r) => r.split('\t'))
          .map(([id, , , title]) => itemSchema.parse({ id, scenario: 'food', title })),
      );
      await store.close();
      const r = await cli(['encode', '--db', db, '--cache', '', '--enrich', '--json'], undefined, {
        FUSIONREC_GENERATOR__PROVIDER: 'openai',
        FUSIONREC_GENERATOR__URL: url,
        FUSIONREC_GENERATOR__MODEL: 'fake-chat',
      });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { items: number; enrich: { generated: number; failed: number } };
      assert.equal(report.items, 5);
      assert.equal(report.enrich.generated, 4);
      assert.equal(report.enrich.failed, 1);
      assert.match(r.stderr, /enrich: item 0 skipped/);
      const s2 = new SqliteStore(db);
      assert.equal(await s2.blobs.count(ENRICH_NAMESPACE), 4);
      assert.equal(
        (await loadItemVectors(s2, 'use-lite@0.2.0')).ids.length,
        5,
        'the failed item is encoded all the same',
      );
      await s2.close();
    } finally {
      server.close();
    }
  });
});
