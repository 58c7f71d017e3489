import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { deleteNatsStream, openNatsBus } from '../bus/nats.ts';
import type { BusChange } from '../bus/types.ts';
import { parseConfig } from '../config/load.ts';
import type { Event } from '../core/types.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { ErasedUsers } from './erased.ts';
import { ImpressionLog } from './impression-log.ts';

const NATS_URL = process.env.FUSIONREC_TEST_NATS ?? 'nats://127.0.0.1:4222';

const ev = (id: string, user: string): Event => ({ id, user, item: 'i', scenario: 's', type: 'view', ts: 1 });
const imp = (id: string, user: string) => ({
  id,
  user,
  scenario: 's',
  ts: 1,
  modelVersion: 'm',
  items: [{ item: 'i', position: 0, score: 1 }],
});

describe('erased users', () => {
  test('keeps the latest position of each user and forgets the oldest past its bound', () => {
    const erased = new ErasedUsers(2);
    erased.erase('a', 5);
    erased.erase('a', 3);
    erased.erase('b');
    assert.equal(erased.erasedAt('a'), 5);
    assert.equal(erased.erasedAt('b'), 0);
    erased.erase('c', 9);
    assert.equal(erased.has('a'), false, 'the oldest erasure is forgotten');
    assert.equal(erased.erasedAt('c'), 9);
  });

  test("an erased user's event arriving late through the bus is not written, and no answer for them is logged", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusionrec-erased-'));
    const store = new SqliteStore(join(dir, 'store.db'));
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const options = { ...parseConfig({}).bus, url: NATS_URL, prefix, store, log: () => {} };
    // this node's one registry: its bus's writer and reader and its impression log all use it
    const erased = new ErasedUsers();
    const log = new ImpressionLog(store.impressions, { queueSize: 100, batchSize: 100, flushMs: 60_000 });
    log.shareErasures(erased);
    // the first write of the user's event fails, as a store that dropped its connection would: it
    // comes back to this node's writer a second later, after the erasure
    const add = store.events.add.bind(store.events);
    let failed = false;
    store.events.add = async (events, o) => {
      if (!failed && events.some((e) => e.id === 'late')) {
        failed = true;
        throw new Error('connection terminated');
      }
      return add(events, o);
    };
    const changes: BusChange[] = [];
    const node = await openNatsBus({ ...options, erased });
    // the erasure comes from another node (its own registry); this one hears of it on the bus only
    const other = await openNatsBus({ ...options, erased: new ErasedUsers() });
    try {
      // the change handler does not touch the impression log: the registry alone must stop it
      await node.start({ events: async () => {}, change: async (c) => void changes.push(c) });
      await node.publishEvents([ev('kept', 'other'), ev('late', 'gone')]);
      while (!failed) await new Promise((r) => setTimeout(r, 10));
      assert.equal(log.log(imp('before', 'gone')), true, 'logged before the erasure');
      await log.flush();
      await other.publishChange({ kind: 'deleteUser', user: 'gone' });
      await node.drain();
      assert.deepEqual(changes, [{ kind: 'deleteUser', user: 'gone' }]);
      assert.ok(erased.has('gone'), "the node's registry holds the erasure it heard of");
      assert.equal(await store.events.hasEvent('kept'), true);
      assert.equal(await store.events.hasEvent('late'), false, 'written back after the erasure');
      assert.equal(log.log(imp('after', 'gone')), false, 'an answer for the erased user is logged');
      await log.flush();
      assert.equal(await store.impressions.get('after'), undefined);
      assert.equal(await store.impressions.get('before'), undefined, "the writer's erasure took it");
      assert.equal(log.log(imp('another', 'other')), true);
    } finally {
      await other.close();
      await node.close();
      await log.close();
      await deleteNatsStream(NATS_URL, prefix);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
