/**
 * The service's CLI commands as a user runs them: child processes of bin/fusionrec.js on a copy
 * of the demo database.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isDemoBuilt } from '../src/demo/build.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { BIN, runNode } from './run-process.ts';
import { demoDbCopy } from './server-fixture.ts';

const run = (args: string[]) => runNode([BIN, ...args], { env: { FUSIONREC_ENCODER__THREADS: '1' } });

describe('CLI: recommend, profile, explain, demo, up', () => {
  let db: string;
  before(async () => {
    db = (await demoDbCopy()).db;
  });
  after(() => rmSync(dirname(db), { recursive: true, force: true }));

  test('recommend prints readable lines, and JSON with --json', async () => {
    const text = await run([
      'recommend',
      'u001',
      '--scenario',
      'music',
      '-n',
      '3',
      '--db',
      db,
      '--device',
      'mobile',
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /3 items for u001 in music/);
    assert.match(text.stdout, / 1\. .*score/);
    assert.match(text.stdout, /via /);
    const json = await run(['recommend', 'u001', '--scenario', 'music', '-n', '3', '--db', db, '--json']);
    const body = JSON.parse(json.stdout);
    assert.equal(body.items.length, 3);
  });

  test('profile and explain', async () => {
    const p = await run(['profile', 'u001', '--db', db, '--json']);
    assert.equal(p.code, 0, p.stderr);
    const profile = JSON.parse(p.stdout);
    assert.ok(profile.fused.length >= 1);
    const text = await run(['profile', 'u001', '--db', db]);
    assert.match(text.stdout, /Fused interests/);
    const item = profile.fused[0].topItems[0];
    // items by title, with their id
    assert.match(text.stdout, new RegExp(`items: "[^"]+" \\[${item}\\]`));
    const e = await run(['explain', 'u001', item, '--db', db, '--hour', '19']);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, new RegExp(`^"[^"]+" \\[${item}\\] for u001: score`));
    assert.match(e.stdout, /in the evening \(16–20 h\)/);
    assert.doesNotMatch(e.stdout, /hour=/);
  });

  test('recommend for an unknown user answers and says it is a cold start', async () => {
    const r = await run(['recommend', 'nobody-here', '--scenario', 'music', '-n', '3', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no user "nobody-here" .*cold-start/);
    assert.match(r.stdout, /3 items for nobody-here/);
  });

  test('bad options are errors that name the field', async () => {
    const r = await run(['recommend', 'u001', '--scenario', 'music', '-n', 'lots', '--db', db]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_INPUT.*"n"/);
  });

  test('demo on a finished demo database adds nothing and re-encodes nothing', async () => {
    const r = await run(['demo', '--db', db, '--users', '40']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\(0 new\); 0 vectors computed/);
  });

  test('demo can be interrupted with SIGINT and completes when run again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusionrec-demo-'));
    // a private, empty embedding cache, so the first run is still encoding when interrupted
    const env = {
      ...process.env,
      FUSIONREC_ENCODER__THREADS: '1',
      FUSIONREC_ENCODER__CACHE_PATH: join(dir, 'emb.db'),
    };
    const db = join(dir, 'demo.db');
    try {
      const p = spawn(process.execPath, [BIN, 'demo', '--db', db, '--users', '10'], { env });
      let stderr = '';
      const code = await new Promise<number | null>((resolve) => {
        p.stderr.on('data', (d) => {
          stderr += d;
          if (/demo: encoding/.test(stderr) && !p.killed) p.kill('SIGINT');
        });
        p.on('close', resolve);
      });
      assert.equal(code, 130, stderr);
      assert.match(stderr, /interrupt/);
      const again = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const q = spawn(process.execPath, [BIN, 'demo', '--db', db, '--users', '10'], { env });
        let err = '';
        q.stderr.on('data', (d) => (err += d));
        q.on('close', (c) => resolve({ code: c, stderr: err }));
      });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /\(0 new\)/, 'the events of the first run were kept, none twice');
      const store = new SqliteStore(db);
      try {
        assert.equal(await isDemoBuilt(store), true);
        assert.equal(await store.items.count(), 240);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('up serves the existing database until SIGINT', async () => {
    const p: ChildProcess = spawn(process.execPath, [BIN, 'up', '--db', db, '--port', '0'], {
      env: { ...process.env, FUSIONREC_ENCODER__THREADS: '1' },
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      p.stderr!.on('data', (d) => {
        stderr += d;
        const m = /dashboard: (http:\/\/\S+)\//.exec(stderr);
        if (m) resolve(m[1]!);
      });
      p.on('close', () => reject(new Error(`up exited: ${stderr}`)));
    });
    assert.doesNotMatch(stderr, /building the demo/);
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    const html = await (await fetch(`${url}/web/index.html`)).text();
    assert.match(html, /fusionrec dashboard/);
    const code = await new Promise<number | null>((resolve) => {
      p.on('close', resolve);
      p.kill('SIGINT');
    });
    assert.equal(code, 0, stderr);
  });
});
