/**
 * Shared by the `fusionrec serve --workers N` tests: the service as a child process, its log, and
 * requests that each open a new connection, so that consecutive ones may reach different workers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname } from 'node:path';
import { after, before } from 'node:test';
import { BIN } from './run-process.ts';
import { demoDbCopy } from './server-fixture.ts';

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON responses
  json: any;
}

/**
 * One request on a new connection. `answerWithinMs`: a request with no answer by then fails with
 * `no answer within …`, so a test can tell a connection that hangs from one that is cut.
 */
export function call(
  url: string,
  method: string,
  body?: unknown,
  opts: { answerWithinMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, agent: new Agent({ keepAlive: false }), headers: { 'content-type': 'application/json' } },
      (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: s ? JSON.parse(s) : undefined }));
      },
    );
    req.on('error', reject);
    const ms = opts.answerWithinMs;
    if (ms !== undefined) req.setTimeout(ms, () => req.destroy(new Error(`no answer within ${ms} ms`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

export interface Service {
  process: ChildProcess;
  /** the API's base URL, `http://host:port/v1` */
  api: string;
  /** what the service has written to stderr so far */
  log(): string;
  /** resolves with the first match of `re` in the log, now or once it is written */
  logged(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** `fusionrec serve --db <db> --port 0 --workers <workers>`, resolved once it prints its API URL */
async function serveWorkers(db: string, workers: number): Promise<Service> {
  const p = spawn(process.execPath, [BIN, 'serve', '--db', db, '--port', '0', '--workers', String(workers)], {
    env: { ...process.env, FUSIONREC_ENCODER__THREADS: '1' },
  });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const logged = (re: RegExp, timeoutMs = 120_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const done = () => {
        p.stderr.off('data', check);
        p.off('close', closed);
        clearTimeout(timer);
      };
      const check = () => {
        const m = re.exec(stderr);
        if (!m) return false;
        done();
        resolve(m);
        return true;
      };
      const closed = () => {
        if (check()) return;
        done();
        reject(new Error(`serve exited before it logged ${re}:\n${stderr}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`not logged: ${re}\n${stderr}`));
      }, timeoutMs);
      if (!check()) {
        p.stderr.on('data', check);
        p.on('close', closed);
      }
    });
  try {
    const api = (await logged(/API:\s+(http:\/\/\S+\/v1)/))[1]!;
    return { process: p, api, log: () => stderr, logged };
  } catch (e) {
    // a service that never served would keep the test process alive (its workers share our pipes)
    p.kill('SIGKILL');
    throw e;
  }
}

/**
 * Inside a `describe`: a fresh copy of the demo database served by `workers` processes before its
 * tests, killed and removed after them. Returns the running service (once `before` has run).
 */
export function servedDemo(workers: number): () => Service {
  let db: string | undefined;
  let svc: Service | undefined;
  before(async () => {
    db = (await demoDbCopy()).db;
    svc = await serveWorkers(db, workers);
  });
  after(() => {
    if (svc && svc.process.exitCode === null) svc.process.kill('SIGKILL');
    if (db) rmSync(dirname(db), { recursive: true, force: true });
  });
  return () => svc!;
}
