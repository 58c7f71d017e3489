import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { parseConfig } from '../config/load.ts';
import { RecError } from '../core/errors.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { type BusNode, busContract, type Delivered } from './contract.ts';
import { LocalBus } from './local.ts';
import { deleteNatsStream, openNatsBus } from './nats.ts';
import type { ErasureRegistry, EventBus } from './types.ts';

const NATS_URL = process.env.FUSIONREC_TEST_NATS ?? 'nats://127.0.0.1:4222';
const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bus-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** each node's registry of erased users (the engine's, engine/erased.ts, in a running node) */
function registry(): ErasureRegistry {
  const at = new Map<string, number>();
  return {
    erase: (user, position) => at.set(user, Math.max(position, at.get(user) ?? 0)),
    erasedAt: (user) => at.get(user),
  };
}

async function started(bus: EventBus): Promise<BusNode> {
  const delivered: Delivered = { events: [], changes: [], positions: [] };
  await bus.start({
    async events(events, position) {
      delivered.events.push(...events);
      delivered.positions.push(position);
    },
    async change(change, position) {
      delivered.changes.push(change);
      delivered.positions.push(position);
    },
  });
  return { bus, delivered };
}

busContract('in-process', async () => {
  const store = new SqliteStore(join(dir, `l${n++}.db`));
  const node = await started(new LocalBus(store));
  return {
    store,
    node,
    async close() {
      await node.bus.close();
      await store.close();
    },
  };
});

busContract('NATS JetStream', async () => {
  const store = new SqliteStore(join(dir, `n${n++}.db`));
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const options = { ...parseConfig({}).bus, url: NATS_URL, prefix, store, log: () => {} };
  const nodes = [await started(await openNatsBus({ ...options, erased: registry() }))];
  return {
    store,
    node: nodes[0]!,
    async peer() {
      const p = await started(await openNatsBus({ ...options, erased: registry() }));
      nodes.push(p);
      return p;
    },
    async close() {
      for (const x of nodes) await x.bus.close();
      await deleteNatsStream(NATS_URL, prefix);
      await store.close();
    },
  };
});

describe('NATS bus: a node that opens later', () => {
  test('applies what the store did not hold when it loaded, and nothing the store gave it', async () => {
    const store = new SqliteStore(join(dir, `j${n++}.db`));
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const options = { ...parseConfig({}).bus, url: NATS_URL, prefix, store, log: () => {} };
    const nodes: BusNode[] = [];
    try {
      const a = await started(await openNatsBus({ ...options, erased: registry() }));
      nodes.push(a);
      const ev = (id: string) => ({
        id,
        user: 'u',
        item: 'i',
        scenario: 'shop',
        type: 'view' as const,
        ts: 1,
      });
      await a.bus.publishEvents([ev('stored')]);
      while (!(await store.events.hasEvent('stored'))) await new Promise((r) => setTimeout(r, 10));
      // the store refuses the writer: the next event is acknowledged and waits in the stream
      const add = store.events.add.bind(store.events);
      store.events.add = () => Promise.reject(new Error('store down'));
      await a.bus.publishEvents([ev('waiting')]);
      const b = await started(await openNatsBus({ ...options, erased: registry() }));
      nodes.push(b);
      const end = Date.now() + 10_000;
      while (b.delivered.events.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(
        b.delivered.events.map((e) => e.id),
        ['waiting'],
      );
      store.events.add = add;
      while (!(await store.events.hasEvent('waiting'))) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(
        b.delivered.events.map((e) => e.id),
        ['waiting'],
        'applied once',
      );
    } finally {
      for (const x of nodes) await x.bus.close();
      await deleteNatsStream(NATS_URL, prefix);
      await store.close();
    }
  });
});

describe('NATS bus: the store unreachable while a node applies', () => {
  test('the node applies the messages once the store answers again, skipping none', async () => {
    const store = new SqliteStore(join(dir, `r${n++}.db`));
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const options = { ...parseConfig({}).bus, url: NATS_URL, prefix, store, log: () => {} };
    const nodes: BusNode[] = [];
    const ev = (id: string) => ({ id, user: 'u', item: 'i', scenario: 'shop', type: 'view', ts: 1 });
    try {
      const a = await started(await openNatsBus({ ...options, erased: registry() }));
      nodes.push(a);
      // acknowledged, not yet stored: a node opening now asks the store whether it loaded them
      const add = store.events.add.bind(store.events);
      store.events.add = () => Promise.reject(new Error('store down'));
      await a.bus.publishEvents([ev('w1'), ev('w2')]);
      // the store is restarting when the new node asks (twice), then answers
      const existing = store.events.existing.bind(store.events);
      let refusals = 2;
      store.events.existing = async (ids) => {
        if (refusals-- > 0) throw new RecError('UNAVAILABLE', 'PostgreSQL is unreachable (shutting down)');
        return existing(ids);
      };
      const b = await started(await openNatsBus({ ...options, erased: registry() }));
      nodes.push(b);
      const end = Date.now() + 10_000;
      while (b.delivered.events.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(
        b.delivered.events.map((e) => e.id),
        ['w1', 'w2'],
      );
      assert.ok(refusals < 0, 'the store was asked again after refusing');
      store.events.add = add;
    } finally {
      for (const x of nodes) await x.bus.close();
      await deleteNatsStream(NATS_URL, prefix);
      await store.close();
    }
  });
});

describe('NATS bus at the edges', () => {
  test('an unreachable server is one error naming bus.url', async () => {
    const store = new SqliteStore(join(dir, `e${n++}.db`));
    try {
      await assert.rejects(
        openNatsBus({ ...parseConfig({}).bus, url: 'nats://127.0.0.1:1', store, erased: registry() }),
        (e: { code: string; field: string; message: string }) =>
          e.code === 'INVALID_CONFIG' && e.field === 'bus.url' && /cannot reach NATS/.test(e.message),
      );
    } finally {
      await store.close();
    }
  });

  test('events no stream takes are refused at once with UNAVAILABLE, none counted as acknowledged', async () => {
    const store = new SqliteStore(join(dir, `s${n++}.db`));
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const bus = await openNatsBus({
      ...parseConfig({}).bus,
      url: NATS_URL,
      prefix,
      store,
      erased: registry(),
      log: () => {},
    });
    try {
      await deleteNatsStream(NATS_URL, prefix);
      await assert.rejects(
        bus.publishEvents([{ id: 'x1', user: 'u', item: 'i', scenario: 's', type: 'view', ts: 1 }]),
        (e: RecError) => e.code === 'UNAVAILABLE' && /no stream stores the subject/.test(e.message),
      );
    } finally {
      await bus.close();
      await store.close();
    }
  });

  test('a bad bus URL or prefix is a config error naming the key', () => {
    assert.throws(() => parseConfig({ bus: { url: 'http://x' } }), {
      code: 'INVALID_CONFIG',
      field: 'bus.url',
    });
    assert.throws(() => parseConfig({ bus: { prefix: 'a.b' } }), {
      code: 'INVALID_CONFIG',
      field: 'bus.prefix',
    });
    assert.throws(() => parseConfig({ cache: { url: 'nats://x' } }), {
      code: 'INVALID_CONFIG',
      field: 'cache.url',
    });
  });
});

describe('NATS bus: erasure', () => {
  test("the writer does not write back an erased user's event redelivered after the erasure, and the stream keeps none of theirs", async () => {
    const store = new SqliteStore(join(dir, `e${n++}.db`));
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const options = { ...parseConfig({}).bus, url: NATS_URL, prefix, store, log: () => {} };
    const ev = (id: string, user: string) => ({ id, user, item: 'i', scenario: 's', type: 'view', ts: 1 });
    // the first write of the user's event fails, as a store that dropped its connection would:
    // it comes back to the writer a second later, after the erasure was applied
    const add = store.events.add.bind(store.events);
    let failed = false;
    store.events.add = async (events, o) => {
      if (!failed && events.some((e) => e.id === 'late')) {
        failed = true;
        throw new Error('connection terminated');
      }
      return add(events, o);
    };
    const node = await started(await openNatsBus({ ...options, erased: registry() }));
    try {
      await node.bus.publishEvents([ev('kept', 'other'), ev('late', 'gone')]);
      while (!failed) await new Promise((r) => setTimeout(r, 10));
      await node.bus.publishChange({ kind: 'deleteUser', user: 'gone' });
      await node.bus.drain();
      assert.equal(await store.events.hasEvent('kept'), true);
      assert.equal(failed, true);
      assert.equal(await store.events.hasEvent('late'), false, 'written back after the erasure');
      const nc = await connect({ servers: NATS_URL });
      try {
        const jsm = await jetstreamManager(nc);
        const stream = `fusionrec-${prefix}`;
        const { first_seq, last_seq } = (await jsm.streams.info(stream)).state;
        const left: string[] = [];
        for (let seq = first_seq; seq <= last_seq; seq++) {
          const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
          if (m) left.push(`${m.subject} ${m.string()}`);
        }
        assert.equal(left.length, 1, left.join('\n'));
        assert.match(left[0]!, /"kept"/);
        assert.ok(!left[0]!.includes('gone'));
      } finally {
        await nc.close();
      }
    } finally {
      await node.bus.close();
      await deleteNatsStream(NATS_URL, prefix);
      await store.close();
    }
  });
});
