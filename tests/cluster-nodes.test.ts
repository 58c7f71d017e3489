/**
 * Three `fusionrec serve` nodes on loopback ports sharing one PostgreSQL database (made for the
 * run, dropped after), one NATS JetStream stream and one Redis: an event acknowledged by one node
 * changes the next answers of the other two (even where they had an answer cached in Redis), a
 * batch posted twice (to two nodes) is stored and counted once, an item deleted through one node
 * leaves the others' answers, and a user deleted through one node is found in no table of the
 * database, no message of the stream, no Redis key or value and no node's answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  clusterNames,
  demoPostgres,
  dropCluster,
  eventually,
  NATS_URL,
  type Node,
  REDIS_URL,
  serveNode,
} from './cluster-fixture.ts';
import { call } from './server-fixture.ts';

/** every key under the prefix */
async function redisKeys(redis: Redis, prefix: string): Promise<string[]> {
  const all: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    all.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return all;
}

describe('three nodes over PostgreSQL, NATS and Redis', () => {
  const names = clusterNames();
  let db: { url: string; drop(): Promise<void> };
  let nodes: Node[] = [];
  const sql = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query<T>(text, values)).rows;
    } finally {
      await c.end();
    }
  };
  const recommend = async (node: Node, user = 'u001') => {
    const r = await call(node.url, 'POST', '/v1/recommend', { user, scenario: 'shop', n: 8 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.items as { item: string }[]).map((i) => i.item);
  };

  before(async () => {
    db = await demoPostgres();
    const env = { FUSIONREC_BUS__PREFIX: names.prefix, FUSIONREC_CACHE__PREFIX: names.keys };
    const args = ['--store', db.url, '--bus', NATS_URL, '--cache', REDIS_URL];
    // one at a time: the first creates the stream and the shared writer
    nodes.push(await serveNode(args, env));
    nodes = [...nodes, ...(await Promise.all([serveNode(args, env), serveNode(args, env)]))];
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await dropCluster(names);
    await db?.drop();
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
    const [cached, ...more] = await redisKeys(redis, `${names.keys}rec:`);
    assert.deepEqual(more, [], 'one user has answers cached');
    assert.equal(await redis.hlen(cached!), 1, 'one answer cached for the user, shared by the nodes');
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
    assert.equal(await redis.exists(cached!), 0);
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
    const count = async () =>
      (
        await sql<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = ANY($1)', [
          events.map((e) => e.id),
        ])
      )[0]!.n;
    await eventually(async () => ((await count()) === 3 ? true : undefined));
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

  test('a user deleted through one node is in no table, stream message, Redis key or value, or answer', async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    const user = `erased-${names.prefix}`;
    const canary = `canary-${names.prefix}-review loved it`;
    const ts = Date.now();
    const events = Array.from({ length: 6 }, (_, k) => ({
      id: `${names.prefix}-erase-${k}`,
      user,
      item: `shop-rock-${k + 1}`,
      scenario: 'shop',
      type: k % 3 === 0 ? 'review' : 'view',
      ...(k % 3 === 0 ? { text: canary } : {}),
      ts: ts + k,
    }));
    const added = await call(a.url, 'POST', '/v1/events/batch', { events });
    assert.deepEqual(added.body, { inserted: 6, duplicates: 0 });
    // every node knows them: profiles in memory, answers cached in Redis, rows in PostgreSQL
    for (const n of nodes) {
      await eventually(async () => {
        const h = await call(n.url, 'GET', `/v1/users/${user}/history?limit=10`);
        return (h.body.events as unknown[] | undefined)?.length === 6 ? true : undefined;
      });
      await recommend(n, user);
    }
    await eventually(async () =>
      (await sql<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE user_id = $1', [user]))[0]!.n ===
      6
        ? true
        : undefined,
    );
    const redis = new Redis(REDIS_URL);
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = `fusionrec-${names.prefix}`;
      /** every stored message of the stream: subject, headers and body */
      const messages = async () => {
        const { first_seq, last_seq } = (await jsm.streams.info(stream)).state;
        const out: string[] = [];
        for (let seq = first_seq; seq <= last_seq; seq++) {
          const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
          if (m) out.push(`${m.subject} ${m.header ? [...m.header].join(' ') : ''} ${m.string()}`);
        }
        return out;
      };
      /** every key under the cluster's prefix, with its value */
      const cache = async () => {
        const out: string[] = [];
        for (const k of await redisKeys(redis, names.keys)) {
          const type = await redis.type(k);
          const value =
            type === 'hash'
              ? JSON.stringify(await redis.hgetall(k))
              : type === 'string'
                ? await redis.get(k)
                : ((await redis.dumpBuffer(k))?.toString('latin1') ?? '');
          out.push(`${k} ${value}`);
        }
        return out;
      };
      /** every row of every table, as text */
      const rows = async () => {
        const tables = await sql<{ t: string }>(
          "SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public'",
        );
        const out: string[] = [];
        for (const { t } of tables)
          for (const r of await sql<{ r: string }>(`SELECT x::text AS r FROM ${t} x`)) out.push(r.r);
        return out;
      };
      const holding = (texts: string[]) => texts.filter((t) => t.includes(user) || t.includes('canary-'));
      // the check finds them before the erasure
      assert.ok(holding(await rows()).length >= 6, 'the rows hold the user before');
      assert.ok(holding(await messages()).length >= 6, 'the stream holds the user before');

      const del = await call(b.url, 'DELETE', `/v1/users/${user}`);
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.ok(del.body.removed >= 6, JSON.stringify(del.body));

      assert.deepEqual(holding(await rows()), [], 'PostgreSQL');
      assert.deepEqual(holding(await messages()), [], 'the stream');
      // the other nodes have applied the erasure (it was delivered to every consumer before the purge)
      for (const n of [a, c]) {
        await eventually(async () => {
          const h = await call(n.url, 'GET', `/v1/users/${user}/history?limit=10`);
          return h.status === 404 || (h.body.events as unknown[] | undefined)?.length === 0
            ? true
            : undefined;
        });
      }
      assert.deepEqual(holding(await cache()), [], 'Redis');
      // no node answers with them: not their history, not their profile, not others' answers
      for (const n of nodes) {
        const answers = [
          await call(n.url, 'GET', `/v1/users/${user}/history?limit=10`),
          await call(n.url, 'GET', `/v1/users/${user}/profile`),
          await call(n.url, 'GET', `/v1/users/${user}`),
          await call(n.url, 'POST', '/v1/recommend', { user: 'u005', scenario: 'shop', n: 20 }),
          await call(n.url, 'GET', '/v1/users?limit=1000'),
        ];
        for (const r of answers)
          assert.deepEqual(holding([JSON.stringify(r.body)]), [], `${n.url}: ${JSON.stringify(r.body)}`);
        // an answer for the id now is a stranger's, and what it caches holds no id
        const cold = await call(n.url, 'POST', '/v1/recommend', { user, scenario: 'shop', n: 8 });
        assert.equal(cold.status, 200);
        assert.ok(!JSON.stringify(cold.body).includes('canary-'));
      }
      assert.deepEqual(holding(await cache()), [], 'Redis, after answers for the id');
      // and the shared writer does not write the user back
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(holding(await rows()), [], 'PostgreSQL, later');
    } finally {
      redis.disconnect();
      await nc.close();
    }
  });
});
