/**
 * Every store suite on PostgreSQL, in a database made for this run (`fusionrec_test_<random>`,
 * dropped after) on the server at 127.0.0.1:5432 as the connecting user (FUSIONREC_TEST_POSTGRES
 * names another admin URL). Each contract case gets a fresh, empty schema of that database. An
 * unreachable server fails this file: CI starts PostgreSQL (.ci/run).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { parseConfig } from '../config/load.ts';
import { RecError } from '../core/errors.ts';
import { writeDemo } from '../demo/build.ts';
import { createEngine } from '../engine/create.ts';
import { trainFromStore } from '../train/train.ts';
import { storeContract } from './contract.ts';
import { ev, item } from './data/cases/fixtures.ts';
import { dataStoreContract } from './data/contract.ts';
import { derivedStoreContract } from './derived/contract.ts';
import { openStore } from './open.ts';
import { COPY_FROM } from './postgres/bulk.ts';
import { MIGRATIONS } from './postgres/open.ts';
import { PostgresStore } from './postgres.ts';

const ADMIN_URL =
  process.env.FUSIONREC_TEST_POSTGRES ??
  `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`;
const DB = `fusionrec_test_${randomBytes(6).toString('hex')}`;
const T0 = Date.UTC(2024, 0, 1);

const admin = new pg.Client({ connectionString: ADMIN_URL });
try {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
} catch (e) {
  await admin.end().catch(() => {});
  throw new Error(
    `PostgreSQL is not reachable at ${ADMIN_URL} (${(e as Error).message}): the PostgreSQL store tests need a server there; .ci/run starts one`,
    { cause: e },
  );
}
after(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.end();
});

const dbUrl = (db: string, search?: string) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  if (search) u.searchParams.set('options', `-c search_path=${search}`);
  return u.toString();
};
/** one client on the test database, for the cases that look at it from outside the store */
async function withDb<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: dbUrl(DB) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let n = 0;
/** a fresh schema of the run's database, opened through `openStore` as a node would */
async function fresh(): Promise<PostgresStore> {
  const schema = `c${n++}`;
  await withDb((c) => c.query(`CREATE SCHEMA ${schema}`));
  const s = await openStore(dbUrl(DB, schema));
  assert.ok(s instanceof PostgresStore);
  return s;
}

// one database holds both stores, so each suite runs on the same class
dataStoreContract('postgres', fresh);
derivedStoreContract('postgres', fresh);
storeContract('postgres', fresh);

describe('PostgresStore specifics', () => {
  it('records each migration once, and re-opening (also by several nodes at once) changes nothing', async () => {
    const schema = `m${n++}`;
    await withDb((c) => c.query(`CREATE SCHEMA ${schema}`));
    const url = dbUrl(DB, schema);
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    await stores[0]!.items.upsert([item('a', 'shop')]);
    await Promise.all(stores.map((s) => s.close()));
    const again = await openStore(url);
    try {
      assert.equal(await again.items.count(), 1);
      const versions = await withDb(
        async (c) => (await c.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows,
      );
      assert.deepEqual(
        versions.map((r) => r.version),
        MIGRATIONS.map((_, i) => i + 1),
      );
    } finally {
      await again.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const s = await fresh();
    const schema = `c${n - 1}`;
    await s.close();
    await withDb((c) =>
      c.query(`INSERT INTO ${schema}.schema_migrations (version) VALUES ($1)`, [MIGRATIONS.length + 1]),
    );
    await assert.rejects(openStore(dbUrl(DB, schema)), { code: 'STORE_ERROR' });
  });

  it('keeps text byte for byte: tabs, newlines, backslashes, quotes, braces, non-Latin script', async () => {
    const s = await fresh();
    try {
      const odd = 'a\tb\nc\r\\N \\ "q" \'s\' {x,y} NULL ünï 漢字 🙂';
      await s.events.add([
        ev(odd, odd, odd, 'shop', T0, { text: odd, context: { device: odd } as never, value: 0.25 }),
      ]);
      const [e] = await s.events.ofUser(odd);
      assert.equal(e?.id, odd);
      assert.equal(e?.item, odd);
      assert.equal(e?.text, odd);
      assert.equal(e?.value, 0.25);
      assert.deepEqual(e?.context, { device: odd });
      assert.deepEqual(await s.users.get(odd), { id: odd });
      await s.items.upsert([item(odd, 'shop', odd)]);
      assert.equal((await s.items.get(odd))?.title, odd);
    } finally {
      await s.close();
    }
  });

  it('a batch large enough to go by COPY is idempotent, in order, reports the new events and registers users', async () => {
    const s = await fresh();
    try {
      const odd = 'tab\there\nline \\N back\\slash 漢字';
      await s.events.add([ev('e3', 'u3', 'a', 'shop', T0)]);
      const batch = Array.from({ length: COPY_FROM + 10 }, (_, i) =>
        ev(
          `e${i}`,
          `u${i % 7}`,
          i === 5 ? odd : `i${i}`,
          'shop',
          T0 + i,
          i === 5 ? { text: odd, value: -1.5 } : {},
        ),
      );
      batch.splice(20, 0, ev('e8', 'u1', 'dup-in-batch', 'shop', T0));
      const fresh: number[] = [];
      assert.deepEqual(await s.events.add(batch, { onInserted: (i) => fresh.push(i) }), {
        inserted: COPY_FROM + 9,
        duplicates: 2,
      });
      assert.deepEqual(
        fresh,
        batch.map((_, i) => i).filter((i) => i !== 3 && i !== 20),
      );
      const stored = (await s.events.scan({ limit: COPY_FROM + 20 })).events;
      assert.deepEqual(
        stored.map((e) => e.id),
        ['e3', ...batch.filter((_, i) => i !== 3 && i !== 20).map((e) => e.id)],
      );
      const e5 = stored.find((e) => e.id === 'e5')!;
      assert.equal(e5.item, odd);
      assert.equal(e5.text, odd);
      assert.equal(e5.value, -1.5);
      assert.equal(stored.find((e) => e.id === 'e8')?.item, 'i8');
      assert.equal(await s.users.count(), 7);
      assert.deepEqual(await s.events.add(batch), { inserted: 0, duplicates: batch.length });
    } finally {
      await s.close();
    }
  });

  it('a bulk load into an empty table builds the index by user at its end; a store opened without it builds it', async () => {
    const s = await fresh();
    const schema = `c${n - 1}`;
    const hasIndex = () =>
      withDb(
        async (c) =>
          (
            await c.query("SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_by_user'", [
              schema,
            ])
          ).rowCount === 1,
      );
    try {
      const during = await s.events.bulkLoad!(async () => {
        await s.events.add([ev('b1', 'u1', 'a', 'shop', T0), ev('b2', 'u2', 'a', 'shop', T0 + 1)]);
        return hasIndex();
      });
      assert.equal(during, false, 'dropped while loading an empty table');
      assert.equal(await hasIndex(), true);
      assert.deepEqual(
        (await s.events.ofUser('u2')).map((e) => e.id),
        ['b2'],
      );
      // into a table that holds events, nothing is dropped
      assert.equal(await s.events.bulkLoad!(hasIndex), true);
      // a load that never finished (the process killed): the next open builds it again
      await withDb((c) => c.query(`DROP INDEX ${schema}.events_by_user`));
    } finally {
      await s.close();
    }
    const again = await openStore(dbUrl(DB, schema));
    await again.close();
    assert.equal(await hasIndex(), true);
  });

  it('a batch the server refuses part-way through COPY rejects, writes nothing, and leaves the store usable', async () => {
    const s = await fresh();
    try {
      // PostgreSQL text cannot hold NUL (the schemas refuse it at the edge; the store must still fail cleanly)
      const batch = Array.from({ length: COPY_FROM + 1 }, (_, i) =>
        ev(`e${i}`, 'u', i === COPY_FROM ? 'bad\u0000item' : 'a', 'shop', T0 + i),
      );
      await assert.rejects(s.events.add(batch));
      assert.equal(await s.events.count(), 0);
      assert.equal(await s.users.count(), 0);
      assert.deepEqual(await s.events.add(batch.slice(0, COPY_FROM)), { inserted: COPY_FROM, duplicates: 0 });
    } finally {
      await s.close();
    }
  });

  it("after deleteUser no row of any table holds the user's id or review text; after checkpoint no file of the schema does", async () => {
    const s = await fresh();
    const schema = `c${n - 1}`;
    const user = `erased-${randomBytes(4).toString('hex')}`;
    const canary = `canary review ${randomBytes(8).toString('hex')}`;
    try {
      await s.items.upsert([item('a', 'shop'), item('b', 'shop'), item(`user:${user}`, 'social')]);
      // other users' rows around the erased ones, so their pages stay in use after the deletion
      const others = Array.from({ length: 400 }, (_, i) =>
        ev(`o${i}`, `other${i % 40}`, i % 2 ? 'a' : 'b', 'shop', T0 + i, { text: `fine review ${i}` }),
      );
      await s.events.add([
        ...others.slice(0, 200),
        ev('x1', user, 'a', 'shop', T0, { type: 'review', text: canary, context: { device: 'mobile' } }),
        ev('x2', 'other1', `user:${user}`, 'social', T0, { type: 'follow' }),
        ...others.slice(200),
      ]);
      await s.users.upsert([{ id: user, attributes: { note: canary } }]);
      await s.blobs.put('profile', [
        { key: user, value: new TextEncoder().encode(canary) },
        { key: `${user}:shop`, value: new Uint8Array([1, 2, 3]) },
        { key: 'other1', value: new Uint8Array([4]) },
      ]);
      await s.blobs.put('vec', [{ key: `user:${user}`, value: new TextEncoder().encode(canary) }]);
      assert.equal(await s.deleteUser(user), 7);
      const needles = [user, canary, Buffer.from(canary).toString('hex')];
      await withDb(async (c) => {
        const { rows: tables } = await c.query<{ t: string }>(
          "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
          [schema],
        );
        assert.ok(tables.length >= 7, tables.map((r) => r.t).join(', '));
        for (const { t } of tables) {
          const { rows } = await c.query<{ n: number }>(
            `SELECT COUNT(*)::int AS n FROM ${schema}.${t} AS r
             WHERE strpos(r::text, $1) > 0 OR strpos(r::text, $2) > 0 OR strpos(r::text, $3) > 0`,
            needles,
          );
          assert.equal(rows[0]!.n, 0, `table ${t} still holds the erased user`);
        }
      });
      assert.equal(await s.events.count(), 400);
      await s.checkpoint();
      await withDb(async (c) => {
        await c.query('CHECKPOINT');
        // every table, index and TOAST relation of the schema, read as the server stores it
        const { rows: files } = await c.query<{ rel: string; bytes: Buffer }>(
          `SELECT c.relname AS rel, pg_read_binary_file(pg_relation_filepath(c.oid)) AS bytes
           FROM pg_class c
           WHERE c.relkind IN ('r', 'i', 't') AND pg_relation_filepath(c.oid) IS NOT NULL
             AND (c.relnamespace = $1::regnamespace
               OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relnamespace = $1::regnamespace)
               OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (
                    SELECT reltoastrelid FROM pg_class WHERE relnamespace = $1::regnamespace)))`,
          [schema],
        );
        assert.ok(
          files.some((f) => f.rel === 'events' && f.bytes.includes('fine review 7')),
          'read the events file',
        );
        for (const f of files) {
          assert.equal(f.bytes.includes(canary), false, `${f.rel} keeps the review text`);
          assert.equal(f.bytes.includes(user), false, `${f.rel} keeps the user id`);
        }
      });
    } finally {
      await s.close();
    }
  });

  it('a reader following scan({ afterSeq }) misses no event while several nodes write at once', async () => {
    const schema = `c${n}`;
    const nodes = [await fresh(), await openStore(dbUrl(DB, schema)), await openStore(dbUrl(DB, schema))];
    try {
      let writing = true;
      const seen = new Set<string>();
      const tail = (async () => {
        let after = 0;
        for (;;) {
          const done = !writing;
          const { events } = await nodes[0]!.events.scan({ afterSeq: after, limit: 1_000_000 });
          for (const e of events) seen.add(e.id);
          if (events.length > 0) after = events[events.length - 1]!.seq;
          if (done) return;
        }
      })();
      // batches large enough to go by COPY, so each holds its seq range for a while before commit
      await Promise.all(
        nodes.map(async (s, w) => {
          for (let b = 0; b < 6; b++)
            await s.events.add(
              Array.from({ length: COPY_FROM + 200 }, (_, i) =>
                ev(`w${w}b${b}e${i}`, `u${i % 50}`, 'a', 'shop', T0 + i),
              ),
            );
        }),
      );
      writing = false;
      await tail;
      assert.equal(seen.size, 3 * 6 * (COPY_FROM + 200));
    } finally {
      await Promise.all(nodes.map((s) => s.close()));
    }
  });

  it('stores a blob of several megabytes and an empty one', async () => {
    const s = await fresh();
    try {
      const big = randomBytes(6 * 1024 * 1024);
      await s.blobs.put('model', [
        { key: 'big', value: new Uint8Array(big) },
        { key: 'empty', value: new Uint8Array(0) },
      ]);
      assert.ok(Buffer.from((await s.blobs.get('model', 'big'))!).equals(big));
      assert.equal((await s.blobs.get('model', 'empty'))?.length, 0);
    } finally {
      await s.close();
    }
  });

  it('a bad store.url is one INVALID_CONFIG error naming the field and what failed, without the password', async () => {
    const cases: [string, RegExp][] = [
      ['postgres://fusionrec:secret@127.0.0.1:1/x', /connection refused/],
      [dbUrl(`no_such_db_${randomBytes(4).toString('hex')}`), /database does not exist/],
      [
        (() => {
          const u = new URL(dbUrl(DB));
          u.username = 'no_such_role_fusionrec';
          u.password = 'secret';
          return u.toString();
        })(),
        /authentication failed/,
      ],
      ['postgres://127.0.0.1:5432', /names no database/],
      ['postgres://[::1/x', /not a valid URL/],
    ];
    for (const [url, why] of cases) {
      await assert.rejects(openStore(url), (e: Error & { code?: string; field?: string }) => {
        assert.equal(e.code, 'INVALID_CONFIG', `${url}: ${e.message}`);
        assert.equal(e.field, 'store.url');
        assert.match(e.message, why);
        assert.doesNotMatch(e.message, /secret/);
        return true;
      });
    }
  });
});

describe('the engine on PostgreSQL', () => {
  it('trains on the demo and recommends through a store opened from store.url, exactly as on SQLite', async () => {
    // a small model and a one-point tuning grid keep this quick; the training tests cover quality
    const base = {
      train: { tuneShrinks: [20], tuneEaseLambdas: [100], heldOutCases: 40, decays: [0.5] },
      seq: { dim: 16, textDim: 16, epochs: 2, negatives: 32 },
    };
    const schema = `e${n++}`;
    await withDb((c) => c.query(`CREATE SCHEMA ${schema}`));
    const url = dbUrl(DB, schema);
    const dir = mkdtempSync(join(tmpdir(), 'fusionrec-pg-e2e-'));
    const asks = [
      { user: 'u001', scenario: 'music', n: 5 },
      { user: 'u007', scenario: 'shop', n: 5 },
      { user: 'u020', scenario: 'news', n: 5 },
    ];
    const run = async (storeUrl: string) => {
      const config = parseConfig({ ...base, store: { url: storeUrl } });
      const store = await openStore(storeUrl);
      let report: Awaited<ReturnType<typeof trainFromStore>>;
      try {
        // the demo's events arrive in one batch of thousands: the COPY path
        await writeDemo(store, { users: 60 });
        report = await trainFromStore(store, config);
      } finally {
        await store.close();
      }
      // the engine opens the store itself, from the config, as `fusionrec serve` does
      const engine = await createEngine(config, { encoder: null, onWarning: () => {} });
      try {
        const recs = [];
        for (const q of asks) recs.push(await engine.recommend(q));
        assert.deepEqual(
          await engine.addEvents([
            {
              id: 'late',
              user: 'u001',
              item: recs[0]!.items[0]!.item,
              scenario: 'music',
              type: 'play',
              ts: Date.UTC(2025, 0, 1),
            },
          ]),
          { inserted: 1, duplicates: 0 },
        );
        return { report, recs };
      } finally {
        await engine.close();
      }
    };
    try {
      const onPg = await run(url);
      assert.ok(onPg.report.heldOutCases > 0);
      for (const r of onPg.recs) {
        assert.equal(r.items.length, 5);
        assert.ok(!r.modelVersion.startsWith('untrained'), r.modelVersion);
      }
      const check = await openStore(url);
      try {
        assert.equal(await check.events.hasEvent('late'), true);
        assert.ok((await check.blobs.count('model')) > 0);
      } finally {
        await check.close();
      }
      const onSqlite = await run(`sqlite://${join(dir, 'demo.db')}`);
      assert.equal(onPg.report.stamp, onSqlite.report.stamp);
      assert.equal(onPg.report.validNdcg10, onSqlite.report.validNdcg10);
      assert.deepEqual(
        onPg.recs.map((r) => r.items.map((i) => i.item)),
        onSqlite.recs.map((r) => r.items.map((i) => i.item)),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL going away', () => {
  it('a write to an open store answers UNAVAILABLE (503), not an internal error, and works again after', async () => {
    // the store reaches the server through a proxy this test can cut
    const target = new URL(ADMIN_URL);
    const sockets = new Set<Socket>();
    let up = true;
    const proxy = createServer((client) => {
      if (!up) return client.destroy();
      const server = createConnection(Number(target.port || 5432), target.hostname);
      for (const s of [client, server]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(server).pipe(client);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const u = new URL(dbUrl(DB));
    u.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const schema = `c${n++}`;
    await withDb((c) => c.query(`CREATE SCHEMA ${schema}`));
    u.searchParams.set('options', `-c search_path=${schema}`);
    const store = await openStore(u.toString());
    try {
      assert.deepEqual(await store.events.add([ev('e1', 'u1', 'a', 'shop', T0)]), {
        inserted: 1,
        duplicates: 0,
      });
      up = false;
      for (const s of sockets) s.destroy();
      for (const write of [
        () => store.events.add([ev('e2', 'u1', 'a', 'shop', T0)]),
        () => store.items.upsert([item('a', 'shop')]),
      ]) {
        await assert.rejects(write, (e) => {
          assert.ok(e instanceof RecError, String(e));
          assert.equal(e.code, 'UNAVAILABLE');
          assert.match(e.message, /PostgreSQL at .* is unreachable/);
          return true;
        });
      }
      up = true;
      assert.deepEqual(await store.events.add([ev('e2', 'u1', 'a', 'shop', T0)]), {
        inserted: 1,
        duplicates: 0,
      });
    } finally {
      await store.close();
      proxy.close();
    }
  });
});
