/**
 * The impression log between the request path and the store: `log` only appends to a bounded
 * queue (a full queue drops the impression and counts it), a timer writes the queue in batches,
 * and `close` writes what is left. Lookups (an event citing its recommendation id) see queued
 * impressions as well as stored ones. Every write and every erasure runs on one chain, so an
 * erasure cannot be overtaken by a batch that still holds the erased user's rows.
 */
import type { Impression, ImpressionStore } from '../store/data/types.ts';
import { ErasedUsers } from './erased.ts';

export interface ImpressionLogOptions {
  queueSize: number;
  batchSize: number;
  flushMs: number;
}

export interface ImpressionLogStats {
  /** accepted into the queue */
  logged: number;
  written: number;
  /** refused because the queue was full */
  dropped: number;
  /** lost because the store refused the batch */
  failed: number;
  queued: number;
}

export class ImpressionLog {
  private queue: Impression[] = [];
  private readonly byId = new Map<string, Impression>();
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /**
   * users erased while this process runs (erased.ts): an answer asked for one of them afterwards
   * (a retry, another node still serving an old page) is not logged, so no impression brings the
   * id back
   */
  private erased = new ErasedUsers();
  private readonly counts = { logged: 0, written: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly store: ImpressionStore,
    private readonly opts: ImpressionLogOptions,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  /**
   * Consults the engine's registry (made once per process in create.ts and shared with the bus,
   * which records the erasures other nodes publish) instead of one of its own; called before the
   * first erasure.
   */
  shareErasures(registry: ErasedUsers): void {
    this.erased = registry;
  }

  /** queues one impression; false when the queue is full (it is dropped and counted) */
  log(imp: Impression): boolean {
    if (this.erased.has(imp.user)) return false;
    if (this.closed || this.queue.length >= this.opts.queueSize) {
      this.counts.dropped++;
      return false;
    }
    this.queue.push(imp);
    this.byId.set(imp.id, imp);
    this.counts.logged++;
    if (this.queue.length >= this.opts.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs).unref();
    return true;
  }

  /** a queued or stored impression */
  async find(id: string): Promise<Impression | undefined> {
    return this.byId.get(id) ?? (await this.store.get(id));
  }

  /** the user's latest impression showing `item` in [since, until], queued or stored */
  async latestShowing(
    user: string,
    item: string,
    since: number,
    until: number,
  ): Promise<Impression | undefined> {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const imp = this.queue[i]!;
      if (imp.user === user && imp.ts >= since && imp.ts <= until && imp.items.some((x) => x.item === item))
        return imp;
    }
    return this.store.latestShowing(user, item, since, until);
  }

  /** writes everything queued so far; resolves when it is stored (or counted as failed) */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const run = this.chain.then(async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.opts.batchSize);
        try {
          await this.store.add(batch);
          this.counts.written += batch.length;
        } catch (e) {
          this.counts.failed += batch.length;
          this.onError(e);
        }
        this.queue = this.queue.slice(batch.length);
        for (const imp of batch) this.byId.delete(imp.id);
      }
    });
    this.chain = run;
    return run;
  }

  /**
   * Runs `erase` (the store's erasure of the user) with no batch in flight, after dropping the
   * user's queued impressions, so none of them reaches the store afterwards.
   */
  erasing<T>(user: string, erase: () => Promise<T>): Promise<T> {
    this.erased.erase(user);
    const run = this.chain.then(async () => {
      const kept = this.queue.filter((i) => i.user !== user);
      for (const i of this.queue) if (i.user === user) this.byId.delete(i.id);
      this.queue = kept;
      return erase();
    });
    this.chain = run.catch(() => {});
    return run;
  }

  stats(): ImpressionLogStats {
    return { ...this.counts, queued: this.queue.length };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }
}
