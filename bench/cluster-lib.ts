/**
 * What the cluster benches run on besides this machine's Redis: a PostgreSQL cluster and a NATS
 * server of their own, in temporary folders on free ports, so restarting them disturbs nobody
 * else's tests (the machine's shared PostgreSQL on 5432 and NATS on 4222 are left alone).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_BIN = process.env.FUSIONREC_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** a loopback port free now */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** runs a PostgreSQL binary as the `postgres` account when this process is root (initdb refuses root) */
function pgRun(bin: string, args: string[]): string {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]]
    : [join(PG_BIN, bin), args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface OwnPostgres {
  /** an admin URL (database `postgres`, trust auth, user `postgres`) */
  adminUrl: string;
  /** `pg_ctl restart -m fast`: connections are cut, the server is back when it returns */
  restart(): void;
  stop(): void;
}

/** initdb in a temporary folder and start it on a free loopback port */
export async function ownPostgres(): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  pgRun('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`;
  const ctl = (...a: string[]) =>
    pgRun('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', opts, '-w', ...a]);
  ctl('start');
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => ctl('restart', '-m', 'fast'),
    stop() {
      try {
        ctl('stop', '-m', 'immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface OwnNats {
  url: string;
  /** stops the server (SIGTERM) and starts it again on the same port and store folder */
  restart(): Promise<void>;
  stop(): void;
}

function startNats(port: number, dir: string): Promise<ChildProcess> {
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

/** a nats-server with JetStream of its own on a free port, keeping its stream in a temporary folder */
export async function ownNats(): Promise<OwnNats> {
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-nats-'));
  const port = await freePort();
  let p = await startNats(port, dir);
  const stop = () =>
    new Promise<void>((resolve) => {
      p.removeAllListeners('close');
      p.once('close', () => resolve());
      p.kill('SIGTERM');
    });
  return {
    url: `nats://127.0.0.1:${port}`,
    async restart() {
      await stop();
      p = await startNats(port, dir);
    },
    stop() {
      p.removeAllListeners('close');
      p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
