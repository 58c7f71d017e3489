/**
 * A node's own reader of the NATS stream: an ordered consumer that applies every message once, in
 * stream order, to this node's memory (profiles, popularity, counts), so an event acknowledged by
 * node A changes node B's next answers; the node that took a write answers once it has applied it
 * here (`appliedThrough`).
 *
 * It starts after the writer's acknowledged floor read before the engine loaded the store: events
 * past it that the store already holds were loaded and are skipped.
 */
import { type ConsumerMessages, DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { RecError } from '../core/errors.ts';
import type { Event } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import { type ConsumeLoop, consumeLoop, ORIGIN, REDELIVER_MS, restOf, type Stream } from './nats-stream.ts';
import type { BusChange, BusHandlers, ErasureRegistry, ModelAnnouncement } from './types.ts';

export interface NodeConsumerOptions {
  store: Store;
  erased: ErasureRegistry;
  /** the header value this node stamps on its own changes */
  node: string;
  /** the longest a write waits for this node to apply it */
  publishTimeoutMs: number;
  log: (message: string) => void;
}

/** messages the ordered consumer asks for at a time */
const FETCH = 2000;

export class NodeConsumer {
  /** the last stream sequence this node has applied */
  applied: number;
  private readonly waiting = new Set<{ seq: number; resolve: () => void }>();
  /** stream messages at start: events among them the store already holds were loaded */
  private bootTail = 0;
  private loop: ConsumeLoop | undefined;
  private handlers: BusHandlers | undefined;
  private closed = false;
  readonly modelHandlers = new Set<(m: ModelAnnouncement) => void>();

  constructor(
    private readonly s: Stream,
    private readonly o: NodeConsumerOptions,
  ) {
    this.applied = s.floor;
  }

  async start(js: JetStreamClient, handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    this.bootTail = (await this.s.jsm.streams.info(this.s.name)).state.last_seq;
    // reopened after what this node applied (the first time: after the writer's floor)
    const open = async (): Promise<ConsumerMessages> =>
      (
        await js.consumers.get(this.s.name, {
          filter_subjects: `${this.s.subjectPrefix}.>`,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.applied + 1,
        })
      ).consume({ max_messages: FETCH });
    this.loop = consumeLoop(open, (batch) => this.apply(batch), this.o.log);
  }

  /** this node's memory: every message once, in stream order */
  private async apply(batch: JsMsg[]): Promise<void> {
    const last = batch.at(-1)?.seq ?? this.applied;
    // a store that is unreachable now (restarting) is waited for: the rest of the batch is applied
    // once it answers, not skipped; any other failure skips the batch's remaining messages
    while (this.applied < last) {
      try {
        await this.applyFrom(batch);
        break;
      } catch (e) {
        const retry = e instanceof RecError && e.code === 'UNAVAILABLE' && !this.closed;
        this.o.log(`applying stream messages failed${retry ? ' (retried)' : ''}: ${(e as Error).message}`);
        if (!retry) {
          this.applied = Math.max(this.applied, last);
          break;
        }
        await new Promise((r) => setTimeout(r, REDELIVER_MS));
      }
    }
    for (const w of this.waiting) {
      if (w.seq <= this.applied) {
        this.waiting.delete(w);
        w.resolve();
      }
    }
  }

  /** applies the batch's messages after `applied`, moving `applied` past each as it is done */
  private async applyFrom(batch: JsMsg[]): Promise<void> {
    const h = this.handlers!;
    let events: Event[] = [];
    let lastSeq = this.applied;
    const flushEvents = async () => {
      if (events.length > 0) await h.events(events, lastSeq);
      events = [];
      this.applied = Math.max(this.applied, lastSeq);
    };
    // events written to the store before this node loaded it are already counted: one lookup
    const early = batch
      .filter((m) => m.seq > this.applied && m.seq <= this.bootTail && this.kindOf(m) === 'events')
      .map((m) => m.json<Event>().id);
    const loaded = early.length > 0 ? await this.o.store.events.existing(early) : new Set<string>();
    for (const m of batch) {
      if (m.seq <= this.applied) continue;
      const kind = this.kindOf(m);
      const own = m.headers?.get(ORIGIN) === this.o.node;
      if (kind === 'events') {
        const e = m.json<Event>();
        if (!(m.seq <= this.bootTail && loaded.has(e.id))) events.push(e);
      } else {
        await flushEvents();
        if (kind === 'model') for (const f of this.modelHandlers) f(m.json<ModelAnnouncement>());
        else if (kind === 'items' || kind === 'erase') {
          const c = m.json<BusChange>();
          if (c.kind === 'deleteUser') this.o.erased.erase(c.user, m.seq);
          if (!own) await h.change(c, m.seq);
        }
        this.applied = Math.max(this.applied, m.seq);
      }
      lastSeq = m.seq;
    }
    await flushEvents();
  }

  private kindOf(m: JsMsg): string | undefined {
    return restOf(this.s.subjectPrefix, m)[0];
  }

  /** resolves once this node applied stream sequence `seq` (or after the publish timeout) */
  appliedThrough(seq: number): Promise<void> {
    if (seq <= this.applied) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { seq, resolve };
      this.waiting.add(w);
      setTimeout(() => {
        this.waiting.delete(w);
        resolve();
      }, this.o.publishTimeoutMs).unref();
    });
  }

  /** waits until every message received so far is applied */
  async drain(): Promise<void> {
    await this.loop?.idle();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.loop?.close();
    await this.drain();
    for (const w of this.waiting) w.resolve();
    this.waiting.clear();
  }
}
