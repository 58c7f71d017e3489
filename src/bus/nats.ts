/**
 * The bus on NATS JetStream, for several stateless nodes over one store, in three parts over one
 * connection and stream (nats-stream.ts):
 *
 * - the publisher (nats-publisher.ts): a write is acknowledged once JetStream's PubAck came back
 *   for every event of it (message id = event id, so a retried batch inside the duplicate window
 *   is stored once); an erasure is purged from the stream once every consumer passed it;
 * - the store writer (nats-writer.ts): one durable consumer, shared by every node, writes the
 *   events to the store in batches and acknowledges them only once committed, so nothing
 *   acknowledged is lost while the store is down: it is redelivered;
 * - this node's reader (nats-node.ts): an ordered consumer applies every message to this node's
 *   memory, so an event acknowledged by node A changes node B's next answer; the node that took
 *   the write answers once its own reader has applied it.
 *
 * Erasures are remembered in the engine's registry (`erased`), which the writer and the engine's
 * impression log share: nothing of an erased user is written back.
 */
import { randomUUID } from 'node:crypto';
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { RecError } from '../core/errors.ts';
import type { Event } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import { NodeConsumer } from './nats-node.ts';
import { NatsPublisher } from './nats-publisher.ts';
import { openStream, redactUrl, type Stream } from './nats-stream.ts';
import { NatsWriter } from './nats-writer.ts';
import type {
  BusChange,
  BusHandlers,
  DependencyHealth,
  ErasureRegistry,
  EventBus,
  EventCounts,
  ModelAnnouncement,
} from './types.ts';

export { deleteNatsStream } from './nats-stream.ts';

export interface NatsBusOptions {
  url: string;
  prefix: string;
  duplicateWindowMs: number;
  maxAgeHours: number;
  publishTimeoutMs: number;
  writerBatch: number;
  retryAfterSeconds: number;
  /** the store the durable consumer writes to, and that answers "already stored?" */
  store: Store;
  /** the engine's registry of erased users (engine/erased.ts) */
  erased: ErasureRegistry;
  /** notices (writer failures, reconnects); default stderr */
  log?: (message: string) => void;
}

/**
 * Connects, makes sure the stream and the shared writer exist, and reads where this node's
 * ordered consumer will start. An unreachable server or one without JetStream is one error line
 * naming `bus.url`.
 */
export async function openNatsBus(o: NatsBusOptions): Promise<NatsBus> {
  return new NatsBus(o, await openStream(o));
}

export class NatsBus implements EventBus {
  readonly kind = 'nats';
  private readonly js: JetStreamClient;
  private readonly log: (m: string) => void;
  private connected = true;
  private closed = false;
  private readonly publisher: NatsPublisher;
  private readonly writer: NatsWriter;
  private readonly reader: NodeConsumer;

  constructor(
    private readonly o: NatsBusOptions,
    private readonly s: Stream,
  ) {
    this.js = jetstream(s.nc, { timeout: o.publishTimeoutMs });
    this.log = o.log ?? ((m) => console.warn(`bus: ${m}`));
    const node = randomUUID();
    const common = { store: o.store, erased: o.erased, node, log: this.log };
    this.publisher = new NatsPublisher(s, this.js, {
      ...common,
      publishTimeoutMs: o.publishTimeoutMs,
      checkWritable: () => this.checkWritable(),
      unavailable: (what, cause) => this.unavailable(what, cause),
    });
    this.writer = new NatsWriter(s, { ...common, writerBatch: o.writerBatch });
    this.reader = new NodeConsumer(s, { ...common, publishTimeoutMs: o.publishTimeoutMs });
    void this.watchStatus();
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.s.nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        if (!this.closed) this.log(`lost NATS at ${redactUrl(this.o.url)}; reconnecting`);
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.log(`NATS reconnected (${s.server})`);
      }
    }
  }

  private unavailable(what: string, cause?: unknown): RecError {
    return new RecError('UNAVAILABLE', `${what}; nothing of this request was acknowledged, retry`, {
      details: { retryAfterSeconds: this.o.retryAfterSeconds },
      ...(cause === undefined ? {} : { cause }),
    });
  }

  async start(handlers: BusHandlers): Promise<void> {
    await this.reader.start(this.js, handlers);
    await this.writer.start(this.js);
  }

  async publishEvents(events: readonly Event[]): Promise<EventCounts> {
    const { inserted, duplicates, last } = await this.publisher.publishEvents(events);
    // acknowledged: answered once this node applied them, so its next answer reflects them
    await this.reader.appliedThrough(last);
    return { inserted, duplicates };
  }

  position(): number {
    return this.reader.applied;
  }

  checkWritable(): void {
    if (this.closed) throw new RecError('INTERNAL', 'bus is closed');
    if (!this.connected) throw this.unavailable(`NATS at ${redactUrl(this.o.url)} is unreachable`);
  }

  publishChange(change: BusChange): Promise<number> {
    return this.publisher.publishChange(change);
  }

  async publishModel(model: ModelAnnouncement): Promise<void> {
    await this.publisher.publishModel(model);
  }

  onModel(handler: (model: ModelAnnouncement) => void): () => void {
    this.reader.modelHandlers.add(handler);
    return () => this.reader.modelHandlers.delete(handler);
  }

  health(): DependencyHealth {
    const target = redactUrl(this.o.url);
    if (!this.connected) return { status: 'down', target, detail: 'reconnecting; writes answer 503' };
    if (this.writer.storeError) {
      return {
        status: 'degraded',
        target,
        detail: `the store refuses the stream's events: ${this.writer.storeError}`,
      };
    }
    return { status: 'ok', target, detail: `stream ${this.s.name}, applied through ${this.reader.applied}` };
  }

  async drain(): Promise<void> {
    await this.reader.drain();
    await this.writer.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
    await this.writer.close();
    this.publisher.close();
    await this.s.nc.drain().catch(() => this.s.nc.close());
  }
}
