/**
 * The writing side of the NATS bus: events, changes and model announcements onto the stream.
 *
 * A batch of events is acknowledged once JetStream's PubAck came back for every event of it. Each
 * event is its own message with message id = event id, so a batch retried (whole or in part, to
 * any node) within the duplicate window is stored once, and one user's events can be purged by
 * subject. The publishes of a batch are all in flight at once, their PubAcks matched on one
 * subscription (nats-acks.ts), so a batch costs about one round trip, not one per event.
 *
 * An erasure is published on the user's erase subject; once every consumer of the stream has been
 * delivered it and the writer has applied it, the user's events and the erasure itself are purged
 * from the stream.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { RecError } from '../core/errors.ts';
import type { Event } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import { type PubAck, PubAcks } from './nats-acks.ts';
import { json, ORIGIN, type Stream, scenarioToken, userToken, WRITER } from './nats-stream.ts';
import type { BusChange, ErasureRegistry } from './types.ts';

/** how long an erasure waits for every consumer to pass it before its purge goes ahead anyway */
const ERASE_WAIT_MS = 15_000;

export interface PublisherOptions {
  store: Store;
  erased: ErasureRegistry;
  /** the header value that marks this node's changes */
  node: string;
  log: (message: string) => void;
  /** how long a batch waits for its PubAcks */
  publishTimeoutMs: number;
  /** throws UNAVAILABLE when the bus cannot take writes now */
  checkWritable: () => void;
  /** the 503 for a write that was not acknowledged */
  unavailable: (what: string, cause?: unknown) => RecError;
}

/** what a published batch came to */
export interface Published {
  inserted: number;
  duplicates: number;
  /** the stream sequence of the batch's last message (0: none was sent) */
  last: number;
}

export class NatsPublisher {
  private readonly acks: PubAcks;

  constructor(
    private readonly s: Stream,
    private readonly js: JetStreamClient,
    private readonly o: PublisherOptions,
  ) {
    this.acks = new PubAcks(s.nc);
  }

  private subjectOf(e: Event): string {
    return `${this.s.subjectPrefix}.events.${scenarioToken(e.scenario)}.${userToken(this.s.userKey, e.user)}`;
  }

  /** publishes the events the store does not hold yet; resolves once every PubAck came back */
  async publishEvents(events: readonly Event[]): Promise<Published> {
    this.o.checkWritable();
    const seen = new Set<string>();
    const unique: Event[] = [];
    for (const e of events) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      unique.push(e);
    }
    const send: Event[] = [];
    try {
      // past the stream's duplicate window only the store knows an id was taken; asked together,
      // so a networked store answers them over its connections at once
      const stored = await this.o.store.events.existing(unique.map((e) => e.id));
      for (const e of unique) if (!stored.has(e.id)) send.push(e);
    } catch (e) {
      throw this.o.unavailable(`the store is unreachable (${(e as Error).message})`, e);
    }
    let acks: PubAck[];
    try {
      acks = await this.acks.publishAll(
        send.map((e) => ({ subject: this.subjectOf(e), data: json(e), msgID: e.id })),
        this.o.publishTimeoutMs,
      );
    } catch (e) {
      throw this.o.unavailable(`NATS did not acknowledge the events (${(e as Error).message})`, e);
    }
    let inserted = 0;
    let last = 0;
    for (const ack of acks) {
      if (!ack.duplicate) inserted += 1;
      last = Math.max(last, ack.seq);
    }
    return { inserted, duplicates: events.length - inserted, last };
  }

  private async publish(subject: string, body: unknown): Promise<number> {
    this.o.checkWritable();
    const h = headers();
    h.set(ORIGIN, this.o.node);
    try {
      return (await this.js.publish(`${this.s.subjectPrefix}.${subject}`, json(body), { headers: h })).seq;
    } catch (e) {
      throw this.o.unavailable(`NATS did not acknowledge the change (${(e as Error).message})`, e);
    }
  }

  async publishChange(change: BusChange): Promise<number> {
    if (change.kind !== 'deleteUser') return this.publish('items', change);
    const tok = userToken(this.s.userKey, change.user);
    const seq = await this.publish(`erase.${tok}`, change);
    this.o.erased.erase(change.user, seq);
    await this.purgeUser(tok, seq);
    return seq;
  }

  /** stops matching PubAcks: a batch still waiting is refused */
  close(): void {
    this.acks.close();
  }

  publishModel(body: unknown): Promise<number> {
    return this.publish('model', body);
  }

  /**
   * Once every consumer of the stream has been delivered the erasure at `seq` and the writer has
   * applied it, removes the user's events and the erasure (which names them) from the stream.
   * Past ERASE_WAIT_MS (a consumer that does not move: a node stopped, not yet expired) it purges
   * anyway: a node that starts later loads the store, which no longer holds the user.
   */
  private async purgeUser(tok: string, seq: number): Promise<void> {
    const jsm: JetStreamManager = this.s.jsm;
    const until = Date.now() + ERASE_WAIT_MS;
    for (;;) {
      let behind = false;
      try {
        for await (const c of jsm.consumers.list(this.s.name)) {
          const passed = c.name === WRITER ? c.ack_floor.stream_seq : c.delivered.stream_seq;
          if (passed < seq) behind = true;
        }
      } catch (e) {
        throw this.o.unavailable(`NATS did not list the stream's consumers (${(e as Error).message})`, e);
      }
      if (!behind) break;
      if (Date.now() > until) {
        this.o.log(`a consumer has not passed an erasure after ${ERASE_WAIT_MS} ms; purging anyway`);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      for (const filter of [
        `${this.s.subjectPrefix}.events.*.${tok}`,
        `${this.s.subjectPrefix}.erase.${tok}`,
      ])
        await jsm.streams.purge(this.s.name, { filter, seq: seq + 1 });
    } catch (e) {
      throw this.o.unavailable(`NATS did not purge the erased user (${(e as Error).message})`, e);
    }
  }
}
