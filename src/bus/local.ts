/**
 * The in-process bus (one node, the embedded default): events are written to the store in group
 * commits and handed to the engine once durable; changes have nobody else to reach (processes of
 * one machine relay theirs through src/serve/cluster.ts).
 */
import { RecError } from '../core/errors.ts';
import type { Event } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import type { BusHandlers, DependencyHealth, EventBus, EventCounts, ModelAnnouncement } from './types.ts';

/** addEvents calls committed together */
interface EventGroup {
  events: Event[];
  waiters: {
    from: number;
    to: number;
    resolve: (r: EventCounts) => void;
    reject: (e: unknown) => void;
  }[];
}

/** a group takes no more batches past this many events (one transaction holds the thread) */
const GROUP_COMMIT_MAX = 10_000;

/**
 * Group commit: batches that arrive in the same turn of the event loop (concurrent requests whose
 * bodies were read while the previous commit held the thread) are written in one transaction, one
 * commit being much cheaper per event than several (docs/serving-results.md). Each caller is answered with its
 * own counts once the whole group is durable and applied.
 */
export class GroupCommit {
  /** the group still taking batches this turn */
  private open: EventGroup | undefined;
  /** every group not yet committed */
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    /** runs on the events the store took as new, once they are durable; its failure fails the group */
    private readonly afterCommit: (fresh: Event[]) => Promise<void>,
    private readonly isClosed: () => boolean,
  ) {}

  add(valid: readonly Event[]): Promise<EventCounts> {
    if (valid.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
    return new Promise((resolve, reject) => {
      let g = this.open;
      if (!g || g.events.length >= GROUP_COMMIT_MAX) {
        const fresh: EventGroup = { events: [], waiters: [] };
        g = this.open = fresh;
        const done: Promise<void> = new Promise<void>((r) => setImmediate(r))
          .then(() => this.flush(fresh))
          .finally(() => this.flushing.delete(done));
        this.flushing.add(done);
      }
      g.waiters.push({ from: g.events.length, to: g.events.length + valid.length, resolve, reject });
      for (const e of valid) g.events.push(e);
    });
  }

  /** waits until every group already accepted is written */
  async drain(): Promise<void> {
    while (this.flushing.size > 0) await Promise.all(this.flushing);
  }

  /** one transaction for a group of `add` calls */
  private async flush(g: EventGroup): Promise<void> {
    if (this.open === g) this.open = undefined;
    try {
      if (this.isClosed()) throw new RecError('INTERNAL', 'engine is closed');
      // the insert itself says which events are new (one transaction, no query per event)
      const isNew = new Uint8Array(g.events.length);
      const fresh: Event[] = [];
      await this.store.events.add(g.events, {
        onInserted: (i) => {
          isNew[i] = 1;
          fresh.push(g.events[i]!);
        },
      });
      await this.afterCommit(fresh);
      for (const w of g.waiters) {
        let inserted = 0;
        for (let i = w.from; i < w.to; i++) inserted += isNew[i]!;
        w.resolve({ inserted, duplicates: w.to - w.from - inserted });
      }
    } catch (e) {
      for (const w of g.waiters) w.reject(e);
    }
  }
}

export class LocalBus implements EventBus {
  readonly kind = 'local';
  private readonly commits: GroupCommit;
  private handlers: BusHandlers | undefined;
  private readonly modelHandlers = new Set<(m: ModelAnnouncement) => void>();
  /** the position of the last delivery */
  private last = 0;
  private closed = false;

  constructor(store: Store) {
    this.commits = new GroupCommit(
      store,
      async (fresh) => {
        // durable first; then the in-memory state so the very next request reflects the events
        // positions are times, comparable between processes of one machine (src/serve/cluster.ts)
        this.last = Math.max(this.last + 1, Date.now());
        if (fresh.length > 0) await this.handlers?.events(fresh, this.last);
      },
      () => this.closed,
    );
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
  }

  publishEvents(events: readonly Event[]): Promise<EventCounts> {
    return this.commits.add(events);
  }

  /** the store is the only thing a write needs, and it answers for itself */
  checkWritable(): void {}

  /** one process: the engine that made the change has applied it, and there is nobody else */
  async publishChange(): Promise<number> {
    return this.position();
  }

  /** a time: comparable between processes of one machine sharing a store */
  position(): number {
    return Math.max(this.last, Date.now());
  }

  async publishModel(model: ModelAnnouncement): Promise<void> {
    for (const h of this.modelHandlers) h(model);
  }

  onModel(handler: (model: ModelAnnouncement) => void): () => void {
    this.modelHandlers.add(handler);
    return () => this.modelHandlers.delete(handler);
  }

  health(): DependencyHealth {
    return { status: 'ok', target: 'in-process' };
  }

  drain(): Promise<void> {
    return this.commits.drain();
  }

  async close(): Promise<void> {
    await this.commits.drain();
    this.closed = true;
  }
}
