/**
 * `fusionrec serve --workers 2`: two processes share the port over one database. A write answered
 * by one worker is in the other's memory before the answer, so the next recommendation reflects
 * it whichever worker serves it; shutdown stops both.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { call, type Service, servedDemo } from './workers-fixture.ts';

describe('serve --workers 2', () => {
  const served = servedDemo(2);
  let svc: Service;
  let api = '';
  before(() => {
    svc = served();
    api = svc.api;
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
      svc.process.on('close', resolve);
      svc.process.kill('SIGINT');
    });
    assert.equal(code, 0, svc.log());
  });
});
