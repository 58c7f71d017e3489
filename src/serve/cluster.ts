/**
 * Several server processes over one database (`fusionrec serve --workers N`): node's cluster
 * module shares the port, each worker holds its own engine, and every write a worker makes is
 * relayed through the primary to the others, which apply it in memory (engine.applyPeerChange).
 * A write is answered only after every serving worker has applied it, so the next request sees it
 * whichever worker takes it. Each user's recommendations are computed by one worker (`slotOf`), so
 * the profile and ranked candidates it keeps stay warm in one place: a request that lands on
 * another worker is passed to that one through the primary.
 */
import cluster, { type Worker } from 'node:cluster';
import { RecError } from '../core/errors.ts';
import type { Engine, PeerChange, RecommendRequest, RecommendResponse } from '../engine/types.ts';

/** a recommendation answer, or the error to raise in its place */
type Served =
  | { res: RecommendResponse }
  | { err: { code: string; message: string; field?: string; location?: string; details?: unknown } };
type ToPrimary =
  | { t: 'change'; id: number; change: PeerChange }
  | { t: 'applied'; id: number; from: number }
  | { t: 'listening'; url: string }
  | { t: 'forward'; id: number; slot: number; req: RecommendRequest }
  | ({ t: 'served'; id: number; from: number } & Served);
type ToWorker =
  | { t: 'apply'; id: number; from: number; change: PeerChange }
  | { t: 'done'; id: number }
  | { t: 'serve'; id: number; from: number; req: RecommendRequest }
  | ({ t: 'result'; id: number } & (Served | { local: true }));

/** which worker keeps a user's profile and ranked candidates (FNV-1a of the id) */
export function slotOf(user: string, workers: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < user.length; i++) h = Math.imul(h ^ user.charCodeAt(i), 0x01000193);
  return (h >>> 0) % workers;
}

/** When a crashed worker is started again, and when the primary stops trying. */
export interface RestartPolicy {
  /** wait before the first restart of a slot; doubled for each crash that follows */
  firstDelayMs: number;
  maxDelayMs: number;
  /** a worker that served this long crashed by accident, not at start: its slot's backoff starts over */
  stableAfterMs: number;
  /** this many crashes of one slot within `windowMs` and the primary gives up */
  maxCrashes: number;
  windowMs: number;
}

export const RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 500,
  maxDelayMs: 10_000,
  stableAfterMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
};

/**
 * One slot's crash record: how long to wait before starting it again, or that it keeps crashing
 * right after start (a broken build, a database that no longer opens) and restarting is pointless.
 */
export class SlotBackoff {
  private delay: number;
  private crashes: number[] = [];
  constructor(private readonly policy: RestartPolicy) {
    this.delay = policy.firstDelayMs;
  }

  /** a worker of this slot died at `now` after running `upMs`: the wait before its restart, or undefined to give up */
  crashed(now: number, upMs: number): number | undefined {
    const p = this.policy;
    if (upMs >= p.stableAfterMs) {
      this.delay = p.firstDelayMs;
      this.crashes = [];
    }
    this.crashes = this.crashes.filter((t) => now - t < p.windowMs);
    this.crashes.push(now);
    if (this.crashes.length >= p.maxCrashes) return undefined;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, p.maxDelayMs);
    return wait;
  }
}

export interface PrimaryOptions {
  workers: number;
  /** told once, when the first worker listens */
  onListening(url: string): void;
  /** one line about a worker (started, crashed, restarted) for the log */
  log(message: string): void;
  /**
   * Restarting is pointless: a worker died before any worker of its slot ever served (the
   * service does not start), or one slot keeps crashing right after start. The caller stops.
   */
  onGiveUp(error: RecError): void;
  restart?: RestartPolicy;
}

/**
 * Runs in the primary: forks the workers (each runs the same command line), relays their changes
 * and their passed-on requests, and starts a crashed worker again after a backoff while the others
 * keep serving. Returns a stop function that ends the workers.
 *
 * A restarted worker opens the same database, so it reads every write committed before it opened.
 * A write is committed before it is relayed, and the worker listens for relayed writes before it
 * opens the database (`joinPeers`), applying those that arrive meanwhile once its engine is open:
 * none committed while it starts is missed.
 */
export function runPrimary(opts: PrimaryOptions): { stop(): Promise<void> } {
  // The workers accept connections from the shared socket themselves. In round-robin mode the
  // primary accepts and passes each connection to a worker, keeping its copy until the worker
  // replies that it took it: a connection passed to a worker that dies first (kill -9) gets no
  // reply, so the primary never closes it and the client waits for an answer that never comes. A
  // connection left in the kernel's queue is taken by a worker still alive; one the dead worker had
  // accepted is closed by the kernel, and its client sees the connection end at once.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const ready = new Set<number>();
  const policy = opts.restart ?? RESTART_POLICY;
  /** worker id -> its slot and when it was forked */
  const slots = new Map<number, { slot: number; forkedAt: number }>();
  /** slots that have had a listening worker: a crash there is an accident, not a failure to start */
  const served = new Set<number>();
  const backoff = new Map<number, SlotBackoff>();
  const timers = new Set<NodeJS.Timeout>();
  /** per relayed change: the workers still to apply it, and who sent it */
  const waiting = new Map<string, { origin: Worker; left: Set<number> }>();
  let stopping = false;
  let told = false;
  const finish = (key: string) => {
    const w = waiting.get(key);
    if (!w || w.left.size > 0) return;
    waiting.delete(key);
    const id = Number(key.split(':')[1]);
    if (w.origin.isConnected()) w.origin.send({ t: 'done', id } satisfies ToWorker);
  };
  const bySlot = new Map<number, Worker>();
  /** passed-on requests not yet answered: `${origin}:${id}` -> the worker computing it */
  const passed = new Map<string, number>();
  const onMessage = (worker: Worker, msg: ToPrimary) => {
    if (msg.t === 'forward') {
      // only to a worker that listens: it attached its engine before it said so
      const owner = bySlot.get(msg.slot);
      if (owner && ready.has(owner.id) && owner.isConnected() && owner.id !== worker.id) {
        passed.set(`${worker.id}:${msg.id}`, owner.id);
        owner.send({ t: 'serve', id: msg.id, from: worker.id, req: msg.req } satisfies ToWorker);
      } else worker.send({ t: 'result', id: msg.id, local: true } satisfies ToWorker);
    } else if (msg.t === 'served') {
      passed.delete(`${msg.from}:${msg.id}`);
      const origin = cluster.workers?.[msg.from];
      const { t: _t, from: _f, ...rest } = msg;
      if (origin?.isConnected()) origin.send({ ...rest, t: 'result' } as ToWorker);
    } else if (msg.t === 'listening') {
      ready.add(worker.id);
      const slot = slots.get(worker.id)?.slot;
      if (slot !== undefined) {
        opts.log(
          `worker ${slot} (pid ${worker.process.pid}) ${served.has(slot) ? 'serving again' : 'serving'}`,
        );
        served.add(slot);
      }
      if (!told) {
        told = true;
        opts.onListening(msg.url);
      }
    } else if (msg.t === 'change') {
      const key = `${worker.id}:${msg.id}`;
      const left = new Set<number>();
      for (const other of Object.values(cluster.workers ?? {})) {
        if (!other || other.id === worker.id || !other.isConnected()) continue;
        other.send({ t: 'apply', id: msg.id, from: worker.id, change: msg.change } satisfies ToWorker);
        // a worker still starting applies it when ready, but nobody waits for it: it serves nothing yet
        if (ready.has(other.id)) left.add(other.id);
      }
      waiting.set(key, { origin: worker, left });
      finish(key);
    } else if (msg.t === 'applied') {
      const key = `${msg.from}:${msg.id}`;
      waiting.get(key)?.left.delete(worker.id);
      finish(key);
    }
  };
  cluster.on('message', onMessage);
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    // nobody waits for a dead worker: its writes' acknowledgements, and the requests passed to it
    // (their workers serve them themselves)
    for (const key of waiting.keys()) {
      waiting.get(key)!.left.delete(worker.id);
      finish(key);
    }
    for (const [key, owner] of passed) {
      if (owner !== worker.id) continue;
      passed.delete(key);
      const [from, id] = key.split(':').map(Number) as [number, number];
      const origin = cluster.workers?.[from];
      if (origin?.isConnected()) origin.send({ t: 'result', id, local: true } satisfies ToWorker);
    }
    const was = slots.get(worker.id);
    slots.delete(worker.id);
    if (stopping || !was) return;
    const how = signal ?? `code ${code}`;
    const who = `worker ${was.slot} (pid ${worker.process.pid})`;
    if (!served.has(was.slot)) {
      opts.onGiveUp(new RecError('INTERNAL', `${who} exited (${how}) before it served`));
      return;
    }
    const b = backoff.get(was.slot) ?? new SlotBackoff(policy);
    backoff.set(was.slot, b);
    const wait = b.crashed(Date.now(), Date.now() - was.forkedAt);
    if (wait === undefined) {
      opts.onGiveUp(
        new RecError(
          'INTERNAL',
          `${who} exited (${how}); it crashed ${policy.maxCrashes} times within ${policy.windowMs / 1000} s, so it is not restarted again`,
        ),
      );
      return;
    }
    opts.log(`${who} exited (${how}); the others serve, restarting it in ${wait / 1000} s`);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopping) start(was.slot);
    }, wait);
    timers.add(timer);
  });
  const start = (slot: number) => {
    const w = cluster.fork({ FUSIONREC_WORKER_SLOT: String(slot), FUSIONREC_WORKERS: String(opts.workers) });
    slots.set(w.id, { slot, forkedAt: Date.now() });
    bySlot.set(slot, w);
  };
  for (let slot = 0; slot < opts.workers; slot++) start(slot);
  return {
    async stop() {
      stopping = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(
        all.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/**
 * Runs in a worker, before its engine is open (messages that arrive earlier are kept): wires the
 * engine's writes to the primary and applies the other workers' writes. Returns `attach`, to call
 * with the open engine, and `listening`, to call with the server's URL once it serves.
 */
export function joinPeers(hooks: {
  /** applying another worker's change failed (it is still acknowledged) */
  onError(e: unknown): void;
  /** another worker's change was applied to this engine */
  onApplied?(change: PeerChange): void;
}): {
  attach(engine: Engine): void;
  listening(url: string): void;
} {
  const send = (m: ToPrimary) => process.send!(m);
  let engine: Engine | undefined;
  let ownRecommend: Engine['recommend'] | undefined;
  const slot = Number(process.env.FUSIONREC_WORKER_SLOT ?? 0);
  const workers = Number(process.env.FUSIONREC_WORKERS ?? 1);
  const results = new Map<number, (r: Extract<ToWorker, { t: 'result' }>) => void>();
  const early: Extract<ToWorker, { t: 'apply' }>[] = [];
  let next = 1;
  const done = new Map<number, () => void>();
  const apply = async (m: Extract<ToWorker, { t: 'apply' }>) => {
    try {
      await engine!.applyPeerChange!(m.change);
      hooks.onApplied?.(m.change);
    } catch (e) {
      hooks.onError(e);
    } finally {
      send({ t: 'applied', id: m.id, from: m.from });
    }
  };
  // applied in arrival order: a later change may depend on an earlier one (an item, then its events)
  let chain: Promise<void> = Promise.resolve();
  process.on('message', (m: ToWorker) => {
    if (m.t === 'done') {
      done.get(m.id)?.();
      done.delete(m.id);
    } else if (m.t === 'result') {
      results.get(m.id)?.(m);
      results.delete(m.id);
    } else if (m.t === 'serve') {
      // the primary passes requests on only once this worker listens, so after `attach`
      ownRecommend!(m.req).then(
        (res) => send({ t: 'served', id: m.id, from: m.from, res }),
        (e: unknown) => {
          const err =
            e instanceof RecError
              ? { code: e.code, message: e.message, field: e.field, location: e.location, details: e.details }
              : { code: 'INTERNAL', message: String(e) };
          send({ t: 'served', id: m.id, from: m.from, err });
        },
      );
    } else if (m.t === 'apply') {
      if (!engine) early.push(m);
      else chain = chain.then(() => apply(m));
    }
  });
  return {
    attach(e) {
      engine = e;
      e.peers = (change) =>
        new Promise<void>((resolve) => {
          const id = next++;
          done.set(id, resolve);
          send({ t: 'change', id, change });
        });
      for (const m of early.splice(0)) chain = chain.then(() => apply(m));
      // each user is served by one worker, so their profile and ranked candidates stay warm in one
      // place: a request that lands elsewhere is passed to that worker (or served here if it is gone)
      if (workers > 1) {
        const local = e.recommend.bind(e);
        ownRecommend = local;
        e.recommend = async (req) => {
          // the request is validated by the engine that serves it: one without a user id is served here
          const owner = typeof req.user === 'string' ? slotOf(req.user, workers) : slot;
          if (owner === slot) return local(req);
          const r = await new Promise<Extract<ToWorker, { t: 'result' }>>((resolve) => {
            const id = next++;
            results.set(id, resolve);
            send({ t: 'forward', id, slot: owner, req });
          });
          if ('res' in r) return r.res;
          if ('err' in r) {
            // the same error as if it had been raised here (its message already names the field)
            const { code, message, ...where } = r.err;
            throw Object.assign(new RecError(code as RecError['code'], message), where);
          }
          // that worker is gone or not serving yet
          return local(req);
        };
      }
    },
    listening(url) {
      send({ t: 'listening', url });
    },
  };
}

export const isClusterWorker = (): boolean => cluster.isWorker;
