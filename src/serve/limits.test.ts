/**
 * Slow and greedy clients over real sockets (inject bypasses them): bodies and headers trickled
 * byte by byte are cut off with 408 once the configured time is up while /health keeps answering,
 * and connections past the cap are closed at once. No assertion on how fast anything happens: the
 * test waits for the behaviour, under the test runner's timeout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../config/load.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { buildServer } from './app.ts';
import { fakeEngine } from './fake-engine.ts';
import { connectionCap, openFileLimit } from './limits.ts';

interface Held {
  socket: Socket;
  received: string;
  closed: Promise<void>;
  stop(): void;
}

/** A connection that sends `head` and then one byte of `trickle` every `everyMs`, never finishing. */
function holdSlow(port: number, head: string, trickle: string, everyMs: number): Held {
  const socket = connect(port, '127.0.0.1');
  const held: Held = { socket, received: '', closed: Promise.resolve(), stop: () => {} };
  let timer: NodeJS.Timeout | undefined;
  held.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (d) => {
    held.received += d.toString('latin1');
  });
  socket.on('error', () => {}); // a reset after the server gives up is part of the behaviour
  socket.once('connect', () => {
    socket.write(head);
    let i = 0;
    timer = setInterval(() => {
      if (socket.destroyed || socket.writableEnded) return clearInterval(timer);
      socket.write(trickle[i++ % trickle.length]!);
    }, everyMs);
  });
  void held.closed.then(() => clearInterval(timer));
  held.stop = () => {
    clearInterval(timer);
    socket.destroy();
  };
  return held;
}

async function health(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/health`)).status;
}

async function serve(dir: string, server: Record<string, unknown>) {
  const store = new SqliteStore(join(dir, `s${Math.random().toString(36).slice(2)}.db`));
  const app = await buildServer(
    { engine: fakeEngine(store), store },
    parseConfig({ server: { rateLimitPerMinute: 0, ...server } }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { app, store, port };
}

describe('slow clients', () => {
  let dir: string;
  let app: FastifyInstance;
  let store: SqliteStore;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-slow-'));
    ({ app, store, port } = await serve(dir, { requestTimeoutMs: 1500, headersTimeoutMs: 1000 }));
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('bodies trickled byte by byte get 408 and are closed; /health answers while they are held', {
    timeout: 20_000,
  }, async () => {
    const head =
      'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const slow = Array.from({ length: 40 }, () => holdSlow(port, head, '{"id": "e1", ', 50));
    try {
      // every slow connection is open and trickling before /health is asked
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(
        slow.filter((h) => h.socket.destroyed).length,
        0,
        'slow connections closed before they were held',
      );
      assert.equal(await health(port), 200);
      await Promise.all(slow.map((h) => h.closed));
      for (const h of slow) assert.match(h.received, /^HTTP\/1\.1 408 /);
      assert.equal(await health(port), 200);
    } finally {
      for (const h of slow) h.stop();
    }
  });

  test('headers trickled byte by byte get 408 and are closed', { timeout: 20_000 }, async () => {
    const slow = Array.from({ length: 10 }, () =>
      holdSlow(port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: aaaa\r\n', 50),
    );
    try {
      assert.equal(await health(port), 200);
      await Promise.all(slow.map((h) => h.closed));
      for (const h of slow) assert.match(h.received, /^HTTP\/1\.1 408 /);
    } finally {
      for (const h of slow) h.stop();
    }
  });
});

describe('connection cap', () => {
  test('connections past server.maxConnections are closed at once; the held ones keep theirs', {
    timeout: 20_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusionrec-cap-'));
    const { app, store, port } = await serve(dir, { maxConnections: 5 });
    const idle = Array.from({ length: 5 }, () => holdSlow(port, '', ' ', 60_000));
    try {
      await Promise.all(idle.map((h) => new Promise((r) => h.socket.once('connect', r))));
      // the server has accepted the five before the sixth arrives
      await new Promise((r) => setTimeout(r, 200));
      const extra = holdSlow(port, '', ' ', 60_000);
      await extra.closed;
      assert.equal(extra.received, '');
      assert.equal(
        idle.filter((h) => h.socket.destroyed).length,
        0,
        'a connection within the cap was closed',
      );
      for (const h of idle) h.stop();
      await Promise.all(idle.map((h) => h.closed));
      // once they are gone the server takes connections again
      let status = 0;
      while (status !== 200) status = await health(port).catch(() => 0);
      assert.equal(status, 200);
    } finally {
      for (const h of idle) h.stop();
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('by default the cap is three quarters of the open-file limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusionrec-limits-'));
    try {
      const file = join(dir, 'limits');
      writeFileSync(
        file,
        'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n',
      );
      assert.equal(openFileLimit(file), 1024);
      assert.equal(openFileLimit(join(dir, 'missing')), undefined);
      assert.equal(connectionCap(0, 1024), 768);
      assert.equal(connectionCap(0, undefined), 10_000);
      assert.equal(connectionCap(50, 1024), 50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
