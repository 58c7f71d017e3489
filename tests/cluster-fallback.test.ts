/**
 * A node whose shared services fail: Redis unreachable → it serves with local rate limits and no
 * response cache, and `/health` says the cache is degraded; NATS gone → writes answer 503 with
 * `Retry-After` while reads keep being served from memory, and once NATS is back the node takes
 * writes again by itself, having lost nothing it acknowledged.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { openRuntime, startServer } from '../src/serve/runtime.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { clusterNames, dropCluster, eventually, NATS_URL } from './cluster-fixture.ts';
import { call, type DemoServer, demoDbCopy, startDemoServer } from './server-fixture.ts';

/** a loopback port nothing listens on (taken, then released) */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const ask = (s: DemoServer) => call(s.url, 'POST', '/v1/recommend', { user: 'u001', scenario: 'shop', n: 5 });

describe('Redis unreachable', () => {
  let s: DemoServer;
  after(() => s?.close());

  test('the node serves with local limits and no cache, and /health says the cache is degraded', async () => {
    const port = await closedPort();
    s = await startDemoServer({
      cache: { url: `redis://127.0.0.1:${port}`, prefix: `${clusterNames().keys}` },
      server: { rateLimitPerMinute: 4 },
    });
    const h = await call(s.url, 'GET', '/health');
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.dependencies.cache.status, 'degraded');
    assert.match(h.body.dependencies.cache.detail, /local rate limits/);
    assert.equal(h.body.dependencies.store.status, 'ok');
    // health took one of the four requests of this minute
    for (let i = 0; i < 3; i++) assert.equal((await ask(s)).status, 200);
    const limited = await ask(s);
    assert.equal(limited.status, 429, 'the limit holds locally');
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
  });
});

/** a NATS server of this test's own on `port`, keeping its stream in `dir` */
function natsServer(port: number, dir: string): Promise<ChildProcess> {
  const p = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
    stdio: 'pipe',
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const seen = (d: Buffer) => {
      out += d;
      if (out.includes('Server is ready')) resolve(p);
    };
    p.stdout!.on('data', seen);
    p.stderr!.on('data', seen);
    p.on('error', reject);
    p.on('close', (code) => reject(new Error(`nats-server exited (${code}): ${out}`)));
  });
}

describe('NATS down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-nats-'));
  let nats: ChildProcess | undefined;
  let s: DemoServer | undefined;
  after(async () => {
    await s?.close();
    nats?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('writes answer 503 with Retry-After, reads keep serving, and writes come back with NATS', async () => {
    const port = await closedPort();
    nats = await natsServer(port, dir);
    s = await startDemoServer({
      bus: { url: `nats://127.0.0.1:${port}`, prefix: clusterNames().prefix, retryAfterSeconds: 3 },
    });
    const event = (id: string) => ({
      id,
      user: 'u001',
      item: 'shop-rock-1',
      scenario: 'shop',
      type: 'view',
      ts: Date.now(),
    });
    assert.equal((await call(s.url, 'POST', '/v1/events', event('before'))).status, 200);

    nats.kill('SIGKILL');
    const refused = await eventually(async () => {
      const r = await call(s!.url, 'POST', '/v1/events', event('during'));
      return r.status === 503 ? r : undefined;
    });
    assert.equal(refused.body.error.code, 'UNAVAILABLE');
    const res = await fetch(`${s.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event('during')),
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '3');
    assert.equal((await ask(s)).status, 200, 'reads are served from memory');
    // an item write the other nodes could not hear of is refused before it is written
    const del = await call(s.url, 'DELETE', '/v1/items/shop-rock-2');
    assert.equal(del.status, 503);
    assert.ok(await s.rt.store.items.get('shop-rock-2'));
    const h = await call(s.url, 'GET', '/health');
    assert.equal(h.body.dependencies.bus.status, 'down');
    assert.equal((await call(s.url, 'GET', '/ready')).body.writable, false);

    nats = await natsServer(port, dir);
    const back = await eventually(async () => {
      const r = await call(s!.url, 'POST', '/v1/events', event('after'));
      return r.status === 200 ? r : undefined;
    }, 30_000);
    assert.deepEqual(back.body, { inserted: 1, duplicates: 0 });
    assert.equal((await call(s.url, 'GET', '/health')).body.dependencies.bus.status, 'ok');
    // what was acknowledged is stored; what was refused is not
    const store = s.rt.store;
    await eventually(async () => ((await store.events.hasEvent('after')) ? true : undefined));
    assert.equal(await store.events.hasEvent('before'), true);
    assert.equal(await store.events.hasEvent('during'), false);
  });
});

describe('store down', () => {
  const names = clusterNames();
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const f of cleanup.reverse()) await f();
    await dropCluster(names);
  });

  test('acknowledged events wait in the stream until the store takes them; new writes answer 503; reads go on', async () => {
    const { dir, db } = await demoDbCopy();
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    // the store the node runs on, made to fail as an unreachable database server would
    const store = new SqliteStore(db);
    const down = { writes: false, all: false };
    const failing = () => new Error('connection refused');
    const add = store.events.add.bind(store.events);
    const hasEvent = store.events.hasEvent.bind(store.events);
    const count = store.items.count.bind(store.items);
    store.events.add = async (...a) => {
      if (down.writes || down.all) throw failing();
      return add(...a);
    };
    const existing = store.events.existing.bind(store.events);
    store.events.existing = async (ids) => {
      if (down.all) throw failing();
      return existing(ids);
    };
    store.items.count = async (sc) => {
      if (down.all) throw failing();
      return count(sc);
    };
    const config = parseConfig({
      store: { url: `sqlite://${db}` },
      encoder: { threads: 1 },
      server: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 0 },
      bus: { url: NATS_URL, prefix: names.prefix, retryAfterSeconds: 2 },
    });
    const rt = await openRuntime(config, { store });
    const server = await startServer(rt);
    cleanup.push(async () => {
      await server.close();
      await rt.close();
      await store.close();
    });
    const url = server.url;
    const event = (id: string) => ({
      id,
      user: 'u001',
      item: 'shop-rock-1',
      scenario: 'shop',
      type: 'view',
      ts: Date.now(),
    });
    const recommend = () => call(url, 'POST', '/v1/recommend', { user: 'u001', scenario: 'shop', n: 5 });
    assert.equal((await recommend()).status, 200);

    // the store refuses the writer: the event is acknowledged (it is in the stream), not yet stored
    down.writes = true;
    assert.deepEqual((await call(url, 'POST', '/v1/events', event('held'))).body, {
      inserted: 1,
      duplicates: 0,
    });
    await eventually(async () => {
      const h = await call(url, 'GET', '/health');
      return h.body.dependencies.bus.status === 'degraded' ? h : undefined;
    });
    assert.equal(await hasEvent('held'), false);

    // the store answers nothing: a new write is refused, reads are served from memory
    down.all = true;
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event('refused')),
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '2');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UNAVAILABLE');
    assert.equal((await recommend()).status, 200);
    const h = await call(url, 'GET', '/health');
    assert.equal(h.body.dependencies.store.status, 'down');
    assert.equal((await call(url, 'GET', '/ready')).body.writable, false);

    // back: the held event is redelivered and stored; the refused one never was acknowledged
    down.all = false;
    down.writes = false;
    await eventually(async () => ((await hasEvent('held')) ? true : undefined));
    assert.equal(await hasEvent('refused'), false);
    await eventually(async () => {
      const h = await call(url, 'GET', '/health');
      return h.body.status === 'ok' ? true : undefined;
    });
  });
});
