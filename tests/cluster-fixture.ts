/**
 * Shared by the cluster tests: the PostgreSQL, NATS and Redis of this machine (DEVELOPERS.md), a
 * fresh database, a random stream prefix and key prefix per test file so runs do not see each
 * other, cleanup of all three, and `fusionrec serve` processes started on loopback ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteNatsStream } from '../src/bus/nats.ts';
import type { Event } from '../src/core/types.ts';
import { PostgresStore } from '../src/store/postgres.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { demoDbCopy } from './server-fixture.ts';

export const NATS_URL = process.env.FUSIONREC_TEST_NATS ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.FUSIONREC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
/** any database of the PostgreSQL server the tests make their own databases on */
const POSTGRES_ADMIN_URL =
  process.env.FUSIONREC_TEST_POSTGRES ??
  `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`;
const BIN = new URL('../bin/fusionrec.js', import.meta.url).pathname;

/** a fresh stream prefix and Redis key prefix */
export function clusterNames(): { prefix: string; keys: string } {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  return { prefix, keys: `fusionrec-test-${prefix}:` };
}

/** deletes the stream and every Redis key under the prefix */
export async function dropCluster(names: { prefix: string; keys: string }): Promise<void> {
  await deleteNatsStream(NATS_URL, names.prefix);
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${names.keys}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface Node {
  url: string;
  process: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** `fusionrec serve` on a free loopback port, resolved once it listens */
export function serveNode(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Node> {
  const p = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'silent', ...args], {
    env: { ...process.env, FUSIONREC_ENCODER__THREADS: '1', ...env },
  });
  let err = '';
  return new Promise((resolve, reject) => {
    p.stderr!.on('data', (d) => {
      err += d;
      const m = /API:\s+(http:\/\/\S+)\/v1/.exec(err);
      if (m) {
        resolve({
          url: m[1]!,
          process: p,
          stderr: () => err,
          stop: () =>
            new Promise<void>((done) => {
              if (p.exitCode !== null) return done();
              p.once('close', () => done());
              p.kill('SIGTERM');
            }),
        });
      }
    });
    p.on('close', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
}

/** polls `check` until it returns a value, or throws the last failure after `limitMs` */
export async function eventually<T>(check: () => Promise<T | undefined>, limitMs = 15_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** a database of its own on the server of `adminUrl`: its URL, and `drop()` */
export async function freshDatabase(
  adminUrl = POSTGRES_ADMIN_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `fusionrec_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * The demo database of the end-to-end tests (items, users, events in their order, vectors, the
 * trained model, settings) in a fresh PostgreSQL database, as a cluster's nodes would share it.
 */
export async function demoPostgres(
  adminUrl = POSTGRES_ADMIN_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  const { dir, db } = await demoDbCopy();
  const target = await freshDatabase(adminUrl);
  const from = new SqliteStore(db);
  const to = await PostgresStore.open(target.url);
  try {
    await to.scenarios.upsert(await from.scenarios.list());
    for await (const page of from.items.pages({ limit: 2000 })) await to.items.upsert(page);
    for await (const page of from.users.pages({ limit: 2000 })) await to.users.upsert(page);
    for await (const page of from.events.pages({ limit: 5000 }))
      await to.events.add(page.map(({ seq: _, ...e }) => e as Event));
    const raw = new Database(db, { readonly: true });
    const namespaces = raw.prepare('SELECT DISTINCT ns FROM blobs').pluck().all() as string[];
    const meta = raw.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
    raw.close();
    for (const ns of namespaces) {
      const keys = await from.blobs.keys(ns);
      for (let i = 0; i < keys.length; i += 500) {
        const got = await from.blobs.getMany(ns, keys.slice(i, i + 500));
        await to.blobs.put(
          ns,
          [...got].map(([key, value]) => ({ key, value })),
        );
      }
    }
    for (const { key, value } of meta) await to.setMeta(key, value);
  } catch (e) {
    await to.close();
    await target.drop();
    throw e;
  } finally {
    await from.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await to.close();
  return target;
}
