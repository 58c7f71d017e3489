/**
 * `fusionrec serve --workers 2`: two processes share the port over one database. A write answered
 * by one worker is in the other's memory before the answer, so the next recommendation reflects
 * it whichever worker serves it; shutdown stops both.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { demoDbCopy } from './server-fixture.ts';

const BIN = new URL('../bin/fusionrec.js', import.meta.url).pathname;

/** one request on a new connection each time: the cluster hands connections out in turn */
async function call(
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, agent: new Agent({ keepAlive: false }), headers: { 'content-type': 'application/json' } },
      (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: s ? JSON.parse(s) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('serve --workers 2', () => {
  let db: string;
  let p: ChildProcess;
  let api = '';
  let stderr = '';
  before(async () => {
    db = (await demoDbCopy()).db;
    p = spawn(process.execPath, [BIN, 'serve', '--db', db, '--port', '0', '--workers', '2'], {
      env: { ...process.env, FUSIONREC_ENCODER__THREADS: '1' },
    });
    api = await new Promise<string>((resolve, reject) => {
      p.stderr!.on('data', (d) => {
        stderr += d;
        const m = /API:\s+(http:\/\/\S+\/v1)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      p.on('close', () => reject(new Error(`serve exited: ${stderr}`)));
    });
  });
  after(() => {
    if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dirname(db), { recursive: true, force: true });
  });

  test('both workers answer, and an event or a deleted item is seen by the next requests on either', async () => {
    const ask = async () => {
      const r = await call(`${api}/recommend`, 'POST', { user: 'u001', scenario: 'shop', n: 5 });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return (r.json.items as { item: string }[]).map((i) => i.item);
    };
    const before = await ask();
    // several connections in a row reach both workers; all agree
    for (let i = 0; i < 3; i++) assert.deepEqual(await ask(), before);
    const bought = before[0]!;
    const ev = await call(`${api}/events`, 'POST', {
      id: 'workers-test-1',
      user: 'u001',
      item: bought,
      scenario: 'shop',
      type: 'purchase',
      ts: Date.now(),
    });
    assert.equal(ev.status, 200, JSON.stringify(ev.json));
    // bought, so no longer recommended (shop does not repeat), by whichever worker answers
    for (let i = 0; i < 4; i++) {
      const now = await ask();
      assert.ok(!now.includes(bought), `worker ${i % 2}: ${now.join(',')}`);
      assert.notDeepEqual(now, before);
    }
    const gone = (await ask())[0]!;
    const del = await call(`${api}/items/${encodeURIComponent(gone)}`, 'DELETE');
    assert.ok(del.status < 300, JSON.stringify(del.json));
    for (let i = 0; i < 4; i++) assert.ok(!(await ask()).includes(gone));
  });

  test('SIGINT stops the primary and both workers', async () => {
    const code = await new Promise<number | null>((resolve) => {
      p.on('close', resolve);
      p.kill('SIGINT');
    });
    assert.equal(code, 0, stderr);
  });
});
