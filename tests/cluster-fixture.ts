/**
 * Shared by the cluster tests: the NATS and Redis of this machine (DEVELOPERS.md), a random
 * stream prefix and key prefix per test file so runs do not see each other, cleanup of both, and
 * `fusionrec serve` processes started on loopback ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteNatsStream } from '../src/bus/nats.ts';

export const NATS_URL = process.env.FUSIONREC_TEST_NATS ?? 'nats://127.0.0.1:4222';
export const REDIS_URL = process.env.FUSIONREC_TEST_REDIS ?? 'redis://127.0.0.1:6379';
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
