/**
 * Three `fusionrec serve` nodes on loopback ports sharing one store, one NATS JetStream stream and
 * one Redis: an event acknowledged by one node changes the next answers of the other two (even
 * where they had an answer cached in Redis), a batch posted twice (to two nodes) is stored and
 * counted once, and an item deleted through one node leaves the others' answers.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import {
  clusterNames,
  dropCluster,
  eventually,
  NATS_URL,
  type Node,
  REDIS_URL,
  serveNode,
} from './cluster-fixture.ts';
import { call, demoDbCopy } from './server-fixture.ts';

describe('three nodes over one store, NATS and Redis', () => {
  const names = clusterNames();
  let db: string;
  let nodes: Node[] = [];
  const recommend = async (node: Node, user = 'u001') => {
    const r = await call(node.url, 'POST', '/v1/recommend', { user, scenario: 'shop', n: 8 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.items as { item: string }[]).map((i) => i.item);
  };

  before(async () => {
    db = (await demoDbCopy()).db;
    const env = { FUSIONREC_BUS__PREFIX: names.prefix, FUSIONREC_CACHE__PREFIX: names.keys };
    const args = ['--db', db, '--bus', NATS_URL, '--cache', REDIS_URL];
    // one at a time: the first creates the stream and the shared writer
    nodes.push(await serveNode(args, env));
    nodes = [...nodes, ...(await Promise.all([serveNode(args, env), serveNode(args, env)]))];
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await dropCluster(names);
    rmSync(dirname(db), { recursive: true, force: true });
  });

  test('every node reports its store, bus and cache', async () => {
    for (const n of nodes) {
      const h = await call(n.url, 'GET', '/health');
      assert.equal(h.status, 200);
      assert.equal(h.body.status, 'ok', JSON.stringify(h.body));
      assert.deepEqual(
        Object.entries(h.body.dependencies as Record<string, { status: string }>).map(([k, v]) => [
          k,
          v.status,
        ]),
        [
          ['store', 'ok'],
          ['bus', 'ok'],
          ['cache', 'ok'],
        ],
      );
      assert.match(h.body.dependencies.bus.detail, new RegExp(`fusionrec-${names.prefix}`));
      const r = await call(n.url, 'GET', '/ready');
      assert.equal(r.body.writable, true);
    }
  });

  test('a purchase acknowledged by node A leaves the answers of nodes B and C', async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    // B and C answer (and cache the answer in Redis) before the event
    const beforeB = await recommend(b);
    assert.deepEqual(await recommend(c), beforeB);
    assert.deepEqual(await recommend(b), beforeB, 'the cached answer is the same answer');
    const redis = new Redis(REDIS_URL);
    const cached = `${names.keys}rec:u001`;
    assert.equal(await redis.hlen(cached), 1, 'one answer cached for the user, shared by the nodes');
    const bought = beforeB[0]!;
    const ev = await call(a.url, 'POST', '/v1/events', {
      id: `${names.prefix}-buy`,
      user: 'u001',
      item: bought,
      scenario: 'shop',
      type: 'purchase',
      ts: Date.now(),
    });
    assert.equal(ev.status, 200, JSON.stringify(ev.body));
    assert.deepEqual(ev.body, { inserted: 1, duplicates: 0 });
    // A answers once it applied the event itself, having dropped the user's cached answers
    assert.equal(await redis.exists(cached), 0);
    redis.disconnect();
    assert.ok(!(await recommend(a)).includes(bought));
    // B and C take it from the stream (shop does not repeat a purchase)
    for (const n of [b, c]) {
      const now = await eventually(async () => {
        const items = await recommend(n);
        return items.includes(bought) ? undefined : items;
      });
      assert.ok(!now.includes(bought));
      // and keep it: no stale cached answer comes back
      for (let i = 0; i < 3; i++) assert.ok(!(await recommend(n)).includes(bought));
    }
    // the shared writer stored it once
    await eventually(async () => {
      const h = await call(c.url, 'GET', '/v1/users/u001/history?limit=5');
      return (h.body.events as { item: string }[] | undefined)?.some((e) => e.item === bought)
        ? true
        : undefined;
    });
  });

  test('a user first seen after an event was acknowledged elsewhere has it in their profile', async () => {
    const [a, b] = nodes as [Node, Node];
    // u002 has not been asked for on B: B builds the profile when asked, from the store and the stream
    const bought = (await recommend(a, 'u002'))[0]!;
    const ev = await call(a.url, 'POST', '/v1/events', {
      id: `${names.prefix}-buy-2`,
      user: 'u002',
      item: bought,
      scenario: 'shop',
      type: 'purchase',
      ts: Date.now(),
    });
    assert.equal(ev.status, 200, JSON.stringify(ev.body));
    await eventually(async () => ((await recommend(b, 'u002')).includes(bought) ? undefined : true));
  });

  test('the same batch posted to two nodes is stored once and counted once', async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    const ts = Date.now();
    const events = ['x', 'y', 'z'].map((s, i) => ({
      id: `${names.prefix}-dup-${s}`,
      user: 'u003',
      item: `shop-rock-${i + 1}`,
      scenario: 'shop',
      type: 'view',
      ts: ts + i,
    }));
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    const stream = `fusionrec-${names.prefix}`;
    const before = (await jsm.streams.info(stream)).state.messages;
    const first = await call(a.url, 'POST', '/v1/events/batch', { events });
    const again = await call(b.url, 'POST', '/v1/events/batch', { events });
    // and a third time through C, concurrently with a fourth through A
    const [third, fourth] = await Promise.all([
      call(c.url, 'POST', '/v1/events/batch', { events }),
      call(a.url, 'POST', '/v1/events/batch', { events }),
    ]);
    assert.deepEqual(first.body, { inserted: 3, duplicates: 0 });
    for (const r of [again, third, fourth]) assert.deepEqual(r.body, { inserted: 0, duplicates: 3 });
    assert.equal(
      (await jsm.streams.info(stream)).state.messages,
      before + 3,
      'the stream took each event once',
    );
    await nc.close();
    const sqlite = new Database(db, { readonly: true });
    try {
      const count = () =>
        (
          sqlite
            .prepare(`SELECT count(*) AS n FROM events WHERE id IN (${events.map(() => '?').join(',')})`)
            .get(...events.map((e) => e.id)) as { n: number }
        ).n;
      await eventually(async () => (count() === 3 ? true : undefined));
    } finally {
      sqlite.close();
    }
  });

  test('an item deleted through node C leaves the answers of A and B', async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    const gone = (await recommend(a, 'u004'))[0]!;
    assert.ok((await recommend(b, 'u004')).includes(gone));
    const del = await call(c.url, 'DELETE', `/v1/items/${encodeURIComponent(gone)}`);
    assert.ok(del.status < 300, JSON.stringify(del.body));
    for (const n of [a, b]) {
      await eventually(async () => ((await recommend(n, 'u004')).includes(gone) ? undefined : true));
    }
  });
});
