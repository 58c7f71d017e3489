/**
 * The contract every event bus passes: `busContract(name, open)` from the implementation's test
 * file. `open` gives a started bus over a fresh store with the deliveries it made recorded, and,
 * where the bus reaches other nodes, `peer()` opens one more node over the same store.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Event } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import type { BusChange, EventBus, ModelAnnouncement } from './types.ts';

export interface Delivered {
  events: Event[];
  changes: BusChange[];
  positions: number[];
}

export interface BusNode {
  bus: EventBus;
  delivered: Delivered;
}

export interface BusFixture {
  store: Store;
  node: BusNode;
  /** another node over the same store and bus; absent for a bus of one process */
  peer?: () => Promise<BusNode>;
  close(): Promise<void>;
}

const T0 = Date.UTC(2024, 0, 1);
const ev = (id: string, user = 'u1', ts = T0): Event => ({
  id,
  user,
  item: 'a',
  scenario: 'shop',
  type: 'view',
  ts,
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function busContract(name: string, open: () => Promise<BusFixture>): void {
  describe(`EventBus contract: ${name}`, () => {
    const opened: BusFixture[] = [];
    const fixture = async () => {
      const f = await open();
      opened.push(f);
      return f;
    };
    after(async () => {
      for (const f of opened) await f.close();
    });

    test('events are durable and applied here before publish resolves, each once', async () => {
      const { store, node } = await fixture();
      const counts = await node.bus.publishEvents([ev('e1'), ev('e2', 'u2'), ev('e1')]);
      assert.deepEqual(counts, { inserted: 2, duplicates: 1 });
      assert.deepEqual(
        node.delivered.events.map((e) => e.id),
        ['e1', 'e2'],
      );
      // a retried batch: nothing new, nothing delivered again
      assert.deepEqual(await node.bus.publishEvents([ev('e2', 'u2'), ev('e3')]), {
        inserted: 1,
        duplicates: 1,
      });
      assert.deepEqual(
        node.delivered.events.map((e) => e.id),
        ['e1', 'e2', 'e3'],
      );
      await node.bus.drain();
      await until(async () => (await store.events.count()) === 3, 'the events are stored');
      const p = node.delivered.positions;
      assert.ok(
        p.every((x, i) => i === 0 || x > p[i - 1]!),
        `positions grow: ${p.join(',')}`,
      );
      assert.ok(node.bus.position() >= p[p.length - 1]!);
      assert.equal(node.bus.health().status, 'ok');
    });

    test('an event id the store already holds is a duplicate', async () => {
      const { store, node } = await fixture();
      await store.events.add([ev('old')]);
      assert.deepEqual(await node.bus.publishEvents([ev('old')]), { inserted: 0, duplicates: 1 });
      assert.deepEqual(node.delivered.events, []);
    });

    test('model announcements reach every subscriber until it unsubscribes', async () => {
      const { node } = await fixture();
      const got: ModelAnnouncement[] = [];
      const off = node.bus.onModel((m) => got.push(m));
      await node.bus.publishModel({ version: 'v1', at: T0 });
      await until(() => got.length === 1, 'the announcement arrives');
      assert.deepEqual(got, [{ version: 'v1', at: T0 }]);
      off();
      await node.bus.publishModel({ version: 'v2', at: T0 + 1 });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(got.length, 1);
    });

    test("another node applies this node's events and changes, and is not told of its own", async (t) => {
      const f = await fixture();
      if (!f.peer) return t.skip('a bus of one process');
      const other = await f.peer();
      await f.node.bus.publishEvents([ev('p1', 'u9')]);
      await until(() => other.delivered.events.some((e) => e.id === 'p1'), 'the peer applies the event');
      const at = await f.node.bus.publishChange({ kind: 'deleteItem', id: 'a' });
      await until(() => other.delivered.changes.length === 1, 'the peer applies the change');
      assert.deepEqual(other.delivered.changes, [{ kind: 'deleteItem', id: 'a' }]);
      assert.equal(other.delivered.positions.at(-1), at);
      assert.deepEqual(f.node.delivered.changes, [], 'a node is not told of its own change');
      // the erasure travels too, and the shared writer applies it to the store
      await f.node.bus.publishEvents([ev('p2', 'gone')]);
      await until(async () => f.store.events.hasEvent('p2'), 'the event is stored');
      await other.bus.publishChange({ kind: 'deleteUser', user: 'gone' });
      await until(() => f.node.delivered.changes.length === 1, 'the erasure arrives');
      await until(async () => !(await f.store.events.hasEvent('p2')), "the writer erases the user's events");
    });
  });
}
