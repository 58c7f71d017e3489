import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SqliteStore } from '../store/sqlite.ts';
import { ImpressionLog } from './impression-log.ts';

const imp = (id: string, user: string) => ({
  id,
  user,
  scenario: 's',
  ts: 1,
  modelVersion: 'm',
  items: [{ item: 'a', position: 0, score: 1 }],
});

describe('impression log', () => {
  test('a full queue drops and counts; queued impressions are found; close writes the rest', async () => {
    const store = new SqliteStore(':memory:');
    const log = new ImpressionLog(store.impressions, { queueSize: 3, batchSize: 100, flushMs: 60_000 });
    for (let i = 0; i < 5; i++) log.log(imp(`r${i}`, 'u'));
    assert.deepEqual(log.stats(), { logged: 3, written: 0, dropped: 2, failed: 0, queued: 3 });
    assert.equal((await log.find('r1'))?.id, 'r1');
    assert.equal(await store.impressions.get('r1'), undefined, 'not written before its batch');
    assert.equal((await log.latestShowing('u', 'a', 0, 10))?.id, 'r2');
    await log.close();
    assert.equal(await store.impressions.count(), 3);
    assert.equal(log.log(imp('late', 'u')), false);
    await store.close();
  });

  test('an erasure drops the user’s queued impressions, so none is written after it', async () => {
    const store = new SqliteStore(':memory:');
    const log = new ImpressionLog(store.impressions, { queueSize: 100, batchSize: 100, flushMs: 60_000 });
    log.log(imp('a1', 'ann'));
    log.log(imp('b1', 'bob'));
    const erased = await log.erasing('ann', () => store.deleteUser('ann'));
    assert.equal(erased, 0);
    await log.flush();
    assert.equal(await store.impressions.get('a1'), undefined);
    assert.notEqual(await store.impressions.get('b1'), undefined);
    await store.close();
  });

  test('a full batch is written without waiting for the timer', async () => {
    const store = new SqliteStore(':memory:');
    const log = new ImpressionLog(store.impressions, { queueSize: 100, batchSize: 2, flushMs: 60_000 });
    log.log(imp('r1', 'u'));
    log.log(imp('r2', 'u'));
    await log.flush();
    assert.equal(log.stats().written, 2);
    await log.close();
    await store.close();
  });
});
