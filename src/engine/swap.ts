/**
 * Hot swap of the model version: the engine `createEngine` returns holds one generation (a
 * FusionEngine over one model version) and replaces it by reference when another version is
 * activated. The new generation is built off to the side while the old one serves; then writes
 * are held for a moment (reads go on), the events stored since the new one's boot read are folded
 * into it, and the reference is swapped. A request that began on the old generation finishes on
 * it; the old one is closed when its last request has. A failed build leaves the old one serving.
 *
 * Activation reaches a running engine three ways: `reloadModel()` / `onModelActivated(version)`
 * (what a message bus announcing a publication calls), and by default a poll of the store's
 * active-version record every `engine.modelPollSeconds`, which notices an activation made by
 * another process (`fusionrec train`, `fusionrec model activate`) over the same store.
 */
import type { BusHandlers } from '../bus/types.ts';
import type { Item } from '../core/types.ts';
import { activeVersion } from '../model/versions.ts';
import type { Store, StoredEvent } from '../store/types.ts';
import { type BootReport, dropSnapshot } from './boot.ts';
import type { FusionEngine } from './engine.ts';
import type { Engine, ExperimentAdmin, FilterAdmin, PeerChange } from './types.ts';

/** one engine over one model version, as createEngine's `assemble` builds it */
export interface Generation {
  engine: FusionEngine;
  /** the active version it serves; undefined when it serves signals rebuilt without one */
  version: string | undefined;
  /** the active version its build found (served, or stale for this config) */
  seen: string | undefined;
  /** the last event `seq` its boot read: later ones are folded in before it serves */
  lastSeq: number;
  /** folds the events since the boot snapshot into it and saves it (absent without a trained model) */
  refresh?: (() => Promise<BootReport>) | undefined;
  boot?: BootReport | undefined;
}

export interface SwapOptions {
  first: Generation;
  /** builds a generation over the store's active version */
  build: () => Promise<Generation>;
  store: Store;
  pollSeconds: number;
  snapshotSeconds: number;
  snapshotEvents: number;
  warn: (message: string) => void;
  /** closes the components, after the last generation */
  close: () => Promise<void>;
}

const HELD_OUT = new Set(['valid', 'test']);
/** builds retried when the catalog changed while one was under way */
const BUILD_TRIES = 3;

/** Holds writes for a moment while reads go on: the swap's last step. */
class WriteGate {
  private running = 0;
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private idle: (() => void) | undefined;

  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.held) await this.held;
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      if (this.running === 0) this.idle?.();
    }
  }

  /** waits for the writes under way, holds new ones until the returned function is called */
  async hold(): Promise<() => void> {
    while (this.held) await this.held;
    this.held = new Promise<void>((r) => {
      this.release = r;
    });
    if (this.running > 0) await new Promise<void>((r) => (this.idle = r));
    this.idle = undefined;
    return () => {
      const r = this.release;
      this.held = undefined;
      this.release = undefined;
      r?.();
    };
  }
}

/** hooks the server sets on an engine (functions it is told through, not methods it offers) */
type Hook = 'peers' | 'remoteChanged';

/** the names of the Engine's methods, optional ones included */
export type EngineMethod = Exclude<
  {
    [K in keyof Engine]-?: NonNullable<Engine[K]> extends (...args: never[]) => unknown ? K : never;
  }[keyof Engine],
  Hook
>;

/**
 * How each engine method reaches the serving generation: `read` counts as a request under way on
 * it (an old generation closes after its last one), `write` also waits while a swap holds writes,
 * `now` calls it at once (synchronous), `own` is written out below. Every method of Engine must be
 * listed (the compiler checks it), so a new one cannot be left unforwarded.
 */
export const ROUTES = {
  recommend: 'read',
  similarItems: 'read',
  profile: 'read',
  explain: 'read',
  scenarios: 'read',
  list: 'read',
  addSessionEvents: 'read',
  addEvents: 'write',
  addEvent: 'write',
  scoreAll: 'now',
  logAnswer: 'now',
  upsertItems: 'own',
  deleteItem: 'own',
  deleteUser: 'own',
  applyPeerChange: 'own',
  reloadModel: 'own',
  onModelActivated: 'own',
  close: 'own',
} as const satisfies Record<EngineMethod, 'read' | 'write' | 'now' | 'own'>;

type Forwarded = {
  [K in EngineMethod as (typeof ROUTES)[K] extends 'own' ? never : K]-?: NonNullable<Engine[K]>;
};

/** the forwarded methods, installed on the prototype from ROUTES (the static block below) */
export interface SwappableEngine extends Forwarded {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the static block installs every method the interface declares
export class SwappableEngine implements Engine {
  static {
    for (const [name, route] of Object.entries(ROUTES)) {
      if (route === 'own') continue;
      const call = (e: FusionEngine, args: unknown[]) =>
        (e as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
      Object.defineProperty(SwappableEngine.prototype, name, {
        configurable: true,
        writable: true,
        value(this: SwappableEngine, ...args: unknown[]) {
          if (route === 'now') return call(this.gen.engine, args);
          const run = (e: FusionEngine) => call(e, args) as Promise<unknown>;
          return route === 'write' ? this.write(run) : this.read(run);
        },
      });
    }
  }

  private gen: Generation;
  /** requests under way per engine: an old one closes when its count reaches 0 */
  private readonly inFlight = new Map<FusionEngine, number>();
  private readonly retired = new Set<FusionEngine>();
  private readonly gate = new WriteGate();
  /** bumped by every catalog write: a build that saw an older catalog is redone */
  private catalogEpoch = 0;
  private reloading: Promise<string | undefined> | undefined;
  /** the active-version record last acted on, so a version that cannot be served is not rebuilt every poll */
  private seenActive: string | undefined;
  private peersHook: ((change: PeerChange) => Promise<void>) | undefined;
  /**
   * Ids of the events the last swap's catch-up applied: another process relays its events after
   * storing them, so one relayed while writes were held may already be among them.
   */
  private caughtUp = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(private readonly o: SwapOptions) {
    this.gen = o.first;
    this.seenActive = o.first.seen;
    if (o.pollSeconds > 0) this.every(o.pollSeconds, () => this.poll());
    if (o.snapshotSeconds > 0 && o.snapshotEvents > 0)
      this.every(o.snapshotSeconds, () => this.refreshSnapshot());
  }

  private every(seconds: number, fn: () => Promise<unknown>): void {
    let busy = false;
    const t = setInterval(() => {
      if (busy || this.closed) return;
      busy = true;
      fn()
        .catch((e: unknown) => this.o.warn(String((e as Error)?.message ?? e)))
        .finally(() => {
          busy = false;
        });
    }, seconds * 1000);
    // a timer must not keep a process (a CLI command, a test) alive
    t.unref();
    this.timers.push(t);
  }

  /** the model version answers now name */
  get modelVersion(): string | undefined {
    return this.gen.version;
  }

  /** how the serving generation booted (snapshot or whole log, events folded) */
  get bootReport(): BootReport | undefined {
    return this.gen.boot;
  }

  private async read<T>(fn: (e: FusionEngine) => Promise<T>): Promise<T> {
    const e = this.gen.engine;
    this.inFlight.set(e, (this.inFlight.get(e) ?? 0) + 1);
    try {
      return await fn(e);
    } finally {
      const left = this.inFlight.get(e)! - 1;
      if (left > 0) this.inFlight.set(e, left);
      else {
        this.inFlight.delete(e);
        if (this.retired.has(e)) void this.retire(e);
      }
    }
  }

  private write<T>(fn: (e: FusionEngine) => Promise<T>): Promise<T> {
    return this.gate.run(() => this.read(fn));
  }

  /** named filters live in the store: any generation's admin reads and writes the same ones */
  get filters(): FilterAdmin | undefined {
    return this.gen.engine.filters;
  }

  /** experiments live in the store; the serving generation's feedback log answers for them */
  get experiments(): ExperimentAdmin | undefined {
    return this.gen.engine.experiments;
  }

  upsertItems(items: readonly Item[]): Promise<void> {
    this.catalogEpoch++;
    return this.write((e) => e.upsertItems(items));
  }

  deleteItem(id: string): Promise<boolean> {
    this.catalogEpoch++;
    return this.write((e) => e.deleteItem(id));
  }

  async deleteUser(user: string): Promise<number> {
    const n = await this.write((e) => e.deleteUser(user));
    // the snapshot's counts include the user's events: the next boot refolds the log without them
    await dropSnapshot(this.o.store);
    return n;
  }

  /** told of another node's change (through the bus), e.g. so the server drops its catalog caches */
  remoteChanged: ((change: PeerChange) => void) | undefined;

  /** what the bus delivers, to whichever generation serves (createEngine starts the bus once) */
  busHandlers(): BusHandlers {
    return {
      events: (events, position) => this.gen.engine.busHandlers().events(events, position),
      change: async (change, position) => {
        await this.gen.engine.busHandlers().change(change, position);
        this.remoteChanged?.(change as PeerChange);
      },
    };
  }

  get peers(): ((change: PeerChange) => Promise<void>) | undefined {
    return this.peersHook;
  }

  set peers(hook: ((change: PeerChange) => Promise<void>) | undefined) {
    this.peersHook = hook;
    this.gen.engine.peers = hook;
  }

  applyPeerChange(change: PeerChange): Promise<void> {
    if (change.kind === 'items' || change.kind === 'deleteItem') this.catalogEpoch++;
    return this.write((e) => {
      if (change.kind !== 'events' || this.caughtUp.size === 0) return e.applyPeerChange(change);
      const events = change.events.filter((ev) => !this.caughtUp.has(ev.id));
      return events.length > 0 ? e.applyPeerChange({ kind: 'events', events }) : Promise.resolve();
    });
  }

  /**
   * Builds a generation over the store's active version and swaps to it; resolves with the
   * version it serves. Concurrent calls share one build.
   */
  reloadModel(): Promise<string | undefined> {
    this.reloading ??= this.swap().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /** a message bus announced that `version` was activated: swaps unless it is already served */
  async onModelActivated(version: string): Promise<string | undefined> {
    this.seenActive = version;
    if (version === this.gen.version) return version;
    return this.reloadModel();
  }

  private async poll(): Promise<void> {
    const active = (await activeVersion(this.o.store))?.version;
    if (active === undefined || active === this.seenActive) return;
    this.seenActive = active;
    if (active !== this.gen.version) await this.reloadModel();
  }

  private async refreshSnapshot(): Promise<void> {
    await this.gen.refresh?.();
  }

  private async swap(): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) return this.gen.version;
      const epoch = this.catalogEpoch;
      const next = await this.o.build();
      const release = await this.gate.hold();
      try {
        if (this.closed || epoch !== this.catalogEpoch) {
          await next.engine.close();
          if (this.closed || attempt >= BUILD_TRIES) return this.gen.version;
          continue;
        }
        next.lastSeq = await this.catchUp(next);
        next.engine.peers = this.peersHook;
        this.seenActive = next.seen;
        const old = this.gen.engine;
        this.gen = next;
        this.retired.add(old);
        if (!this.inFlight.has(old)) await this.retire(old);
        return next.version;
      } catch (e) {
        await next.engine.close();
        throw e;
      } finally {
        release();
      }
    }
  }

  /** the events stored after the new generation's boot read, applied to it as live ones */
  private async catchUp(g: Generation): Promise<number> {
    let after: number | undefined = g.lastSeq;
    let last = g.lastSeq;
    this.caughtUp = new Set();
    while (after !== undefined) {
      const page = await this.o.store.events.scan({ afterSeq: after, limit: 20_000 });
      const kept: StoredEvent[] = page.events.filter((e) => !(e.split && HELD_OUT.has(e.split)));
      if (kept.length > 0) await g.engine.applyPeerChange({ kind: 'events', events: kept });
      for (const e of page.events) this.caughtUp.add(e.id);
      for (const e of page.events) if (e.seq > last) last = e.seq;
      after = page.next;
    }
    return last;
  }

  private async retire(e: FusionEngine): Promise<void> {
    if (!this.retired.delete(e)) return;
    await e.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.reloading?.catch(() => {});
    await this.gen.engine.close();
    for (const e of [...this.retired]) await this.retire(e);
    await this.o.close();
  }
}
