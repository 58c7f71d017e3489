/**
 * The store writer of the NATS bus: one durable consumer (`writer`), shared by every node, writes
 * the stream's events to the store in batches, one transaction each, and acknowledges them only
 * once committed (the store's add is idempotent on event id), so nothing acknowledged is lost
 * while the store is down: it is redelivered. An erasure is applied again in stream order (the
 * user's rows deleted after any of their events written late), and an event of an erased user
 * published before the erasure and delivered after it (a redelivered batch) is dropped.
 */
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Event } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import { type ConsumeLoop, consumeLoop, REDELIVER_MS, restOf, type Stream, WRITER } from './nats-stream.ts';
import type { BusChange, ErasureRegistry } from './types.ts';

export interface WriterOptions {
  store: Store;
  /** messages per fetch: the durable's `max_ack_pending` (one batch in flight cluster-wide) */
  writerBatch: number;
  erased: ErasureRegistry;
  log: (message: string) => void;
}

export class NatsWriter {
  private loop: ConsumeLoop | undefined;
  /** why the store refused the last batch; undefined once it takes writes again */
  storeError: string | undefined;

  constructor(
    private readonly s: Stream,
    private readonly o: WriterOptions,
  ) {}

  async start(js: JetStreamClient): Promise<void> {
    const writer = await js.consumers.get(this.s.name, WRITER);
    const open = (): Promise<ConsumerMessages> => writer.consume({ max_messages: this.o.writerBatch });
    this.loop = consumeLoop(open, (batch) => this.write(batch), this.o.log);
  }

  /** to the store in one transaction, acknowledged once committed */
  private async write(batch: JsMsg[]): Promise<void> {
    const { store, erased } = this.o;
    let events: Event[] = [];
    try {
      for (const m of batch) {
        const kind = restOf(this.s.subjectPrefix, m)[0];
        if (kind === 'events') {
          const e = m.json<Event>();
          // published before its user's erasure, delivered after it: not written back
          const erasedAt = erased.erasedAt(e.user);
          if (erasedAt === undefined || m.seq > erasedAt) events.push(e);
        } else if (kind === 'erase') {
          const c = m.json<BusChange>();
          if (c.kind !== 'deleteUser') continue;
          erased.erase(c.user, m.seq);
          // events published before the erasure and written after it are erased again
          if (events.length > 0) await store.events.add(events);
          events = [];
          await store.deleteUser(c.user);
        }
      }
      if (events.length > 0) await store.events.add(events);
      for (const m of batch) m.ack();
      if (this.storeError) this.o.log('the store takes writes again');
      this.storeError = undefined;
    } catch (e) {
      this.storeError = (e as Error).message;
      this.o.log(
        `writing ${batch.length} stream messages to the store failed (redelivered): ${this.storeError}`,
      );
      for (const m of batch) m.nak(REDELIVER_MS);
    }
  }

  /** waits until every message received so far is written (or handed back) */
  async drain(): Promise<void> {
    await this.loop?.idle();
  }

  async close(): Promise<void> {
    await this.loop?.close();
    await this.drain();
  }
}
