/**
 * Shared fixture of the service's end-to-end tests: a demo database built once per machine (the
 * real encoder is slow) into .cache/, copied fresh for every test file, and a real server on an
 * ephemeral loopback port.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../src/config/load.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { buildDemo } from '../src/demo/build.ts';
import { createUseEncoder } from '../src/encode/use.ts';
import { openRuntime, type RunningServer, type Runtime, startServer } from '../src/serve/runtime.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const CACHE = join(ROOT, '.cache');

/** Fixed so the template's content does not depend on the day it was built. */
const DEMO_USERS = 40;

function templatePath(): string {
  const h = createHash('sha256');
  for (const f of [
    'src/demo/catalog.ts',
    'src/demo/catalog.json',
    'src/demo/generate.ts',
    'src/demo/build.ts',
    'src/encode/catalog.ts',
  ]) {
    h.update(readFileSync(join(ROOT, f)));
  }
  return join(CACHE, `test-demo-${h.digest('hex').slice(0, 12)}.db`);
}

async function buildTemplate(target: string): Promise<void> {
  const tmp = `${target}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const store = new SqliteStore(tmp);
  const encoder = await createUseEncoder({ threads: 2 });
  try {
    const r = await buildDemo(store, encoder, { users: DEMO_USERS });
    if (!r.complete) throw new Error('demo build interrupted');
    await store.checkpoint();
  } finally {
    await encoder.close();
    await store.close();
  }
  renameSync(tmp, target);
  for (const ext of ['-wal', '-shm']) rmSync(`${tmp}${ext}`, { force: true });
}

/** Path of a fresh private copy of the demo database, in a new temporary folder. */
export async function demoDbCopy(): Promise<{ dir: string; db: string }> {
  mkdirSync(CACHE, { recursive: true });
  const template = templatePath();
  const lock = `${template}.lock`;
  while (!existsSync(template)) {
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      // another test file is building it; a lock older than 5 minutes belongs to a dead process
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { force: true });
      await sleep(500);
      continue;
    }
    try {
      if (!existsSync(template)) await buildTemplate(template);
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-e2e-'));
  const db = join(dir, 'demo.db');
  copyFileSync(template, db);
  return { dir, db };
}

export interface DemoServer {
  url: string;
  rt: Runtime;
  server: RunningServer;
  db: string;
  close(): Promise<void>;
}

/** A real server (real engine, real encoder) on 127.0.0.1 and a free port, over a demo copy. */
export async function startDemoServer(config: Partial<ConfigInput> = {}): Promise<DemoServer> {
  const { dir, db } = await demoDbCopy();
  const cfg = parseConfig({
    ...config,
    store: { url: `sqlite://${db}` },
    encoder: { threads: 1, ...(config.encoder ?? {}) },
    server: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 0, ...(config.server ?? {}) },
  });
  const rt = await openRuntime(cfg);
  const server = await startServer(rt);
  return {
    url: server.url,
    rt,
    server,
    db,
    async close() {
      await server.close();
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fetch + JSON with an optional body and key. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  key?: string,
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON responses
): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
