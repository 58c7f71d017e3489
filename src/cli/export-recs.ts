/**
 * Batch export of recommendations: one JSON line per user, the answer `engine.recommend` gives (the
 * API's one recommendation path), computed by worker threads that each open the engine on the
 * same store, so both cores work.
 *
 * The output file is its own checkpoint: users already in it are skipped and new lines appended, so
 * an interrupted export continues where it stopped. Lines are appended whole, a batch at a time;
 * a line cut short by a crash is dropped before the export continues.
 */
import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { createPseudonymiser } from '../core/privacy.ts';
import { nextMessage, readyOf, startTsWorker } from '../core/ts-worker.ts';
import type { Context } from '../core/types.ts';
import { createEngine } from '../engine/create.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { type ExportJob, exportLine, type WorkerReply } from './export-line.ts';

export interface ExportOptions {
  config: Config;
  scenario: string;
  n: number;
  /** the output file (JSON lines), created or continued */
  out: string;
  /** the users to export, as clients know them (pseudonymised when the config says so); absent: every stored user */
  users?: readonly string[];
  /** worker threads, each with its own engine; 1 = in this thread */
  workers: number;
  /** whole reasons per item, as the API gives them (default: the retriever alone) */
  reasons?: boolean;
  /**
   * the request context of every line, as `/v1/recommend` takes it (e.g. `{device, hour, weekday}`):
   * one moment for the whole file, so a run resumed in another hour writes the lines it would have;
   * absent: each request's own time
   */
  context?: Context;
  /** stops after the batches in flight are written */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** users per batch sent to a worker */
  batch?: number;
}

export interface ExportReport {
  /** users asked for */
  users: number;
  /** already in the file when the export started */
  skipped: number;
  /** lines written by this run */
  written: number;
  seconds: number;
  /** of `seconds`, the time until every engine was loaded: the rest is the users' */
  loadSeconds: number;
  interrupted: boolean;
}

/**
 * The users already exported to `out`. A last line without its newline (a crash mid-write) is cut
 * off, so the next append starts a whole line.
 */
function exportedUsers(out: string): Set<string> {
  const done = new Set<string>();
  if (!existsSync(out)) return done;
  const text = readFileSync(out, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(out, Buffer.byteLength(text.slice(0, end)));
  const lines = text.slice(0, end).split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    let user: unknown;
    try {
      user = (JSON.parse(line) as { user?: unknown }).user;
    } catch {
      user = undefined;
    }
    if (typeof user !== 'string') {
      throw new RecError('PARSE_ERROR', 'not a line of an export (JSON with a "user")', {
        location: `${out}:${i + 1}`,
      });
    }
    done.add(user);
  });
  return done;
}

/** every stored user (the users table, and the users of events where it has none) */
async function storedUsers(store: Store): Promise<string[]> {
  const users = new Set<string>();
  for await (const page of store.users.pages({ limit: 10_000 })) for (const u of page) users.add(u.id);
  if (users.size === 0) {
    for await (const page of store.events.pages({ limit: 20_000 })) for (const e of page) users.add(e.user);
  }
  return [...users];
}

export async function exportRecs(o: ExportOptions): Promise<ExportReport> {
  const t0 = performance.now();
  const pseudonym = createPseudonymiser(o.config.privacy);
  let all: { id: string; engineUser: string }[];
  if (o.users) {
    all = o.users.map((id) => ({ id, engineUser: pseudonym(id) }));
  } else {
    const store = await openStore(o.config.store.url);
    try {
      // stored ids are the engine's own (already pseudonyms)
      all = (await storedUsers(store)).map((id) => ({ id, engineUser: id }));
    } finally {
      await store.close();
    }
  }
  const done = exportedUsers(o.out);
  const seen = new Set<string>();
  const todo = all.filter((u) => !done.has(u.id) && !seen.has(u.id) && seen.add(u.id));
  const skipped = all.length - todo.length;
  const job: ExportJob = {
    config: o.config,
    scenario: o.scenario,
    n: o.n,
    reasons: o.reasons ?? false,
    ...(o.context ? { context: o.context } : {}),
  };
  let written = 0;
  const progress = () => o.onProgress?.(skipped + written, all.length);
  const write = (lines: readonly string[]) => {
    if (lines.length === 0) return;
    appendFileSync(o.out, `${lines.join('\n')}\n`);
    written += lines.length;
    progress();
  };
  progress();
  const batch = o.batch ?? 32;
  const batches: (typeof todo)[] = [];
  for (let i = 0; i < todo.length; i += batch) batches.push(todo.slice(i, i + batch));
  const stopped = () => o.signal?.aborted === true;
  let loaded = performance.now();
  const ready = () => {
    loaded = performance.now();
  };
  if (o.workers <= 1 || batches.length <= 1) {
    await inThisThread(job, batches, write, stopped, ready);
  } else {
    await inWorkers(job, batches, Math.min(o.workers, batches.length), write, stopped, ready);
  }
  return {
    users: all.length,
    skipped,
    written,
    seconds: (performance.now() - t0) / 1000,
    loadSeconds: (loaded - t0) / 1000,
    interrupted: stopped() && skipped + written < all.length,
  };
}

type Batch = { id: string; engineUser: string }[];

async function inThisThread(
  job: ExportJob,
  batches: readonly Batch[],
  write: (lines: readonly string[]) => void,
  stopped: () => boolean,
  ready: () => void,
): Promise<void> {
  if (batches.length === 0) return;
  const engine = await createEngine(job.config, { onWarning: () => {} });
  ready();
  try {
    for (const b of batches) {
      if (stopped()) break;
      const lines: string[] = [];
      for (const u of b) lines.push(await exportLine(engine, job, u));
      write(lines);
    }
  } finally {
    await engine.close();
  }
}

async function inWorkers(
  job: ExportJob,
  batches: readonly Batch[],
  count: number,
  write: (lines: readonly string[]) => void,
  stopped: () => boolean,
  ready: () => void,
): Promise<void> {
  const module = new URL('./export-worker.ts', import.meta.url);
  const workers: Worker[] = Array.from({ length: count }, () => startTsWorker(module, { job }));
  try {
    await Promise.all(workers.map((w) => readyOf(w)));
    ready();
    let next = 0;
    // each worker takes the next batch as soon as it has answered its last: both cores stay busy
    await Promise.all(
      workers.map(async (w, k) => {
        while (!stopped() && next < batches.length) {
          const b = batches[next++]!;
          const reply = nextMessage<WorkerReply>(w, `export worker ${k + 1}`);
          w.postMessage({ users: b });
          const r = await reply;
          if (r.error) throw new RecError(r.error.code, r.error.message);
          write(r.lines);
        }
      }),
    );
  } finally {
    // each closes its engine and exits; one that does not within a few seconds is stopped
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            // a worker that already exited (it failed to start) has no thread left
            if (w.threadId < 0) return resolve();
            const timer = setTimeout(() => void w.terminate(), 5000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.postMessage({ close: true });
          }),
      ),
    );
  }
}
