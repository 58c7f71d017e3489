/**
 * The bus on NATS JetStream, for several stateless nodes over one store. One stream per cluster
 * (`fusionrec-<prefix>`, subjects `fusionrec.<prefix>.events.<scenario>.<user token>`, `.items`,
 * `.erase.<user token>`, `.model`). A user token is a keyed hash of the user id (the key is made by
 * the node that creates the stream and kept in its description), so no subject names a user and
 * an erasure can purge every message of one user by subject:
 *
 * - a write is acknowledged once JetStream's PubAck came back for every event of it (message id =
 *   event id, so a retried batch inside the duplicate window is stored once);
 * - one durable consumer, shared by every node, writes the events to the store in batches and
 *   acknowledges them only once committed (the store's add is idempotent on event id), so nothing
 *   acknowledged is lost while the store is down: it is redelivered;
 * - every node also reads the whole stream with its own ordered consumer and applies each event
 *   to its memory (profiles, popularity, counts), so an event acknowledged by node A changes node
 *   B's next answers; the node that took the write answers once its own consumer has applied it.
 *
 * - an erasure is published on the user's erase subject; once every consumer of the stream has
 *   been delivered it and the writer has applied it (the user's rows deleted again, after any of
 *   their events it wrote late), the node that took it purges the user's events and the erasure
 *   itself from the stream. A writer drops an event of an erased user published before the
 *   erasure (a redelivered batch), so nothing of the user is written back.
 *
 * A node starts its ordered consumer after the writer's acknowledged floor read before the engine
 * loaded the store: events past it that the store already holds were loaded and are skipped.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, headers, type NatsConnection, nanos } from '@nats-io/transport-node';
import { RecError } from '../core/errors.ts';
import type { Event } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import type {
  BusChange,
  BusHandlers,
  DependencyHealth,
  EventBus,
  EventCounts,
  ModelAnnouncement,
} from './types.ts';

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
  /** notices (writer failures, reconnects); default stderr */
  log?: (message: string) => void;
}

const ORIGIN = 'Fusionrec-Origin';
const WRITER = 'writer';
/** how long a batch the store refused waits before it is delivered again */
const REDELIVER_MS = 1000;
/** how long an erasure waits for every consumer to pass it before its purge goes ahead anyway */
const ERASE_WAIT_MS = 15_000;
/** the stream's description: `<DESCRIPTION><hex key>`, the key of the user tokens */
const DESCRIPTION = 'fusionrec event stream; user token key ';

/** the URL without credentials, for messages and `/health` */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//…@');
}

/** a subject token from a scenario id (the id itself travels in the message) */
function token(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

/** the subject token of a user: a keyed hash, so subjects do not name users */
function userToken(key: string, user: string): string {
  return createHmac('sha256', key).update(user).digest('hex').slice(0, 24);
}

/** the user token of an `events.<scenario>.<token>` or `erase.<token>` subject (after the prefix) */
function tokenOf(rest: string[]): string | undefined {
  return rest[0] === 'events' ? rest[2] : rest[0] === 'erase' ? rest[1] : undefined;
}

const encoder = new TextEncoder();
const json = (v: unknown) => encoder.encode(JSON.stringify(v));

/**
 * Connects, makes sure the stream and the shared writer exist, and reads where this node's
 * ordered consumer will start. An unreachable server or one without JetStream is one error line
 * naming `bus.url`.
 */
export async function openNatsBus(o: NatsBusOptions): Promise<NatsBus> {
  const target = redactUrl(o.url);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: o.url.split(','),
      name: `fusionrec-${o.prefix}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 3000,
    });
  } catch (e) {
    throw new RecError('INVALID_CONFIG', `cannot reach NATS at ${target}: ${(e as Error).message}`, {
      field: 'bus.url',
      cause: e,
    });
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: o.publishTimeoutMs });
    const stream = `fusionrec-${o.prefix}`;
    const subjects = `fusionrec.${o.prefix}.>`;
    let description: string | undefined;
    try {
      description = (await jsm.streams.info(stream)).config.description;
    } catch {
      const config = {
        name: stream,
        subjects: [subjects],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        duplicate_window: nanos(o.duplicateWindowMs),
        max_age: nanos(o.maxAgeHours * 3_600_000),
        description: `${DESCRIPTION}${randomBytes(32).toString('hex')}`,
      };
      // two nodes creating it at once: one's key wins, the other reads it
      description = await jsm.streams
        .add(config)
        .then((i) => i.config.description)
        .catch(async () => (await jsm.streams.info(stream)).config.description);
    }
    // a stream made without a key: its name keys the tokens
    const key = description?.startsWith(DESCRIPTION) ? description.slice(DESCRIPTION.length) : stream;
    await jsm.consumers.add(stream, {
      durable_name: WRITER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects,
      // one batch in flight cluster-wide: batches reach the store in stream order (an erasure
      // after the user's earlier events), and a slow node does not sit on most of the backlog
      max_ack_pending: o.writerBatch,
      ack_wait: nanos(30_000),
    });
    const floor = (await jsm.consumers.info(stream, WRITER)).ack_floor.stream_seq;
    return new NatsBus(o, nc, jsm, stream, floor, key);
  } catch (e) {
    await nc.close();
    if (e instanceof RecError) throw e;
    throw new RecError(
      'INVALID_CONFIG',
      `NATS at ${target} has no usable JetStream (start nats-server with -js): ${(e as Error).message}`,
      { field: 'bus.url', cause: e },
    );
  }
}

export class NatsBus implements EventBus {
  readonly kind = 'nats';
  private readonly js: JetStreamClient;
  private readonly node = randomUUID();
  private readonly subjectPrefix: string;
  private readonly log: (m: string) => void;
  private connected = true;
  private closed = false;
  private handlers: BusHandlers | undefined;
  private readonly modelHandlers = new Set<(m: ModelAnnouncement) => void>();
  /** the last stream sequence this node has applied */
  private applied = 0;
  private readonly waiting = new Set<{ seq: number; resolve: () => void }>();
  /** stream messages at start: events among them the store already holds were loaded */
  private bootTail = 0;
  private applyChain: Promise<void> = Promise.resolve();
  private writeChain: Promise<void> = Promise.resolve();
  private readonly loops: ConsumerMessages[] = [];
  private storeError: string | undefined;
  /** user token → stream sequence of their erasure: the writer drops their earlier events */
  private readonly erased = new Map<string, number>();

  constructor(
    private readonly o: NatsBusOptions,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    /** the writer's acknowledged floor when this node opened: the store holds everything up to it */
    floor: number,
    private readonly userKey: string,
  ) {
    this.js = jetstream(nc, { timeout: o.publishTimeoutMs });
    this.subjectPrefix = `fusionrec.${o.prefix}`;
    this.log = o.log ?? ((m) => console.warn(`bus: ${m}`));
    this.applied = floor;
    void this.watchStatus();
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
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
    this.handlers = handlers;
    this.bootTail = (await this.jsm.streams.info(this.stream)).state.last_seq;
    const filter = `${this.subjectPrefix}.>`;
    // reopened after what this node applied (the first time: after the writer's floor)
    const ordered = async () =>
      (
        await this.js.consumers.get(this.stream, {
          filter_subjects: filter,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.applied + 1,
        })
      ).consume({ max_messages: 1000 });
    const writer = await this.js.consumers.get(this.stream, WRITER);
    void this.run(ordered, (batch) => (this.applyChain = this.applyChain.then(() => this.apply(batch))));
    void this.run(
      () => writer.consume({ max_messages: this.o.writerBatch }),
      (batch) => (this.writeChain = this.writeChain.then(() => this.write(batch))),
    );
  }

  /**
   * Reads a consumer until closed, handing messages on in batches: those that arrived while the
   * previous batch was handled. A consumer that ends (the server went away for long) is reopened.
   */
  private async run(open: () => Promise<ConsumerMessages>, handle: (batch: JsMsg[]) => void): Promise<void> {
    while (!this.closed) {
      try {
        const msgs = await open();
        this.loops.push(msgs);
        let batch: JsMsg[] = [];
        for await (const m of msgs) {
          if (batch.length === 0) {
            setImmediate(() => {
              const b = batch;
              batch = [];
              handle(b);
            });
          }
          batch.push(m);
        }
      } catch (e) {
        if (!this.closed) this.log(`consumer stopped (${(e as Error).message}); reopening`);
      }
      if (!this.closed) await new Promise((r) => setTimeout(r, 250));
    }
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
        this.log(`applying stream messages failed${retry ? ' (retried)' : ''}: ${(e as Error).message}`);
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
      .filter((m) => m.seq > this.applied && m.seq <= this.bootTail && this.restOf(m)[0] === 'events')
      .map((m) => m.json<Event>().id);
    const loaded = early.length > 0 ? await this.o.store.events.existing(early) : new Set<string>();
    for (const m of batch) {
      if (m.seq <= this.applied) continue;
      const rest = this.restOf(m);
      const kind = rest[0];
      const own = m.headers?.get(ORIGIN) === this.node;
      if (kind === 'events') {
        const e = m.json<Event>();
        if (!(m.seq <= this.bootTail && loaded.has(e.id))) events.push(e);
      } else {
        if (kind === 'erase') this.tombstone(tokenOf(rest), m.seq);
        await flushEvents();
        if (kind === 'model') for (const f of this.modelHandlers) f(m.json<ModelAnnouncement>());
        else if (!own && (kind === 'items' || kind === 'erase')) await h.change(m.json<BusChange>(), m.seq);
        this.applied = Math.max(this.applied, m.seq);
      }
      lastSeq = m.seq;
    }
    await flushEvents();
  }

  /** the subject's tokens after the cluster's prefix */
  private restOf(m: JsMsg): string[] {
    return m.subject.slice(this.subjectPrefix.length + 1).split('.');
  }

  private tombstone(token: string | undefined, seq: number): void {
    if (token !== undefined) this.erased.set(token, Math.max(seq, this.erased.get(token) ?? 0));
  }

  /** the shared durable consumer: to the store in one transaction, acknowledged once committed */
  private async write(batch: JsMsg[]): Promise<void> {
    const store = this.o.store;
    let events: Event[] = [];
    try {
      for (const m of batch) {
        const rest = this.restOf(m);
        const kind = rest[0];
        const token = tokenOf(rest);
        if (kind === 'events') {
          // published before its user's erasure, delivered after it: not written back
          const erasedAt = token === undefined ? undefined : this.erased.get(token);
          if (erasedAt === undefined || m.seq > erasedAt) events.push(m.json<Event>());
        } else if (kind === 'erase') {
          this.tombstone(token, m.seq);
          // events published before the erasure and written after it are erased again
          if (events.length > 0) await store.events.add(events);
          events = [];
          const c = m.json<BusChange>();
          if (c.kind === 'deleteUser') await store.deleteUser(c.user);
        }
      }
      if (events.length > 0) await store.events.add(events);
      for (const m of batch) m.ack();
      if (this.storeError) this.log('the store takes writes again');
      this.storeError = undefined;
    } catch (e) {
      this.storeError = (e as Error).message;
      this.log(
        `writing ${batch.length} stream messages to the store failed (redelivered): ${this.storeError}`,
      );
      for (const m of batch) m.nak(REDELIVER_MS);
    }
  }

  private subjectOf(e: Event): string {
    return `${this.subjectPrefix}.events.${token(e.scenario)}.${userToken(this.userKey, e.user)}`;
  }

  async publishEvents(events: readonly Event[]): Promise<EventCounts> {
    this.checkWritable();
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
      throw this.unavailable(`the store is unreachable (${(e as Error).message})`, e);
    }
    const acks = await Promise.allSettled(
      send.map((e) => this.js.publish(this.subjectOf(e), json(e), { msgID: e.id })),
    );
    let inserted = 0;
    let last = 0;
    for (const a of acks) {
      if (a.status === 'rejected') {
        throw this.unavailable(
          `NATS did not acknowledge the events (${(a.reason as Error).message})`,
          a.reason,
        );
      }
      if (!a.value.duplicate) inserted += 1;
      last = Math.max(last, a.value.seq);
    }
    // acknowledged: answered once this node applied them, so its next answer reflects them
    await this.appliedThrough(last);
    return { inserted, duplicates: events.length - inserted };
  }

  /** resolves once this node applied stream sequence `seq` (or after the publish timeout) */
  private appliedThrough(seq: number): Promise<void> {
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

  position(): number {
    return this.applied;
  }

  checkWritable(): void {
    if (this.closed) throw new RecError('INTERNAL', 'bus is closed');
    if (!this.connected) throw this.unavailable(`NATS at ${redactUrl(this.o.url)} is unreachable`);
  }

  private async publish(subject: string, body: unknown): Promise<number> {
    this.checkWritable();
    const h = headers();
    h.set(ORIGIN, this.node);
    try {
      return (await this.js.publish(`${this.subjectPrefix}.${subject}`, json(body), { headers: h })).seq;
    } catch (e) {
      throw this.unavailable(`NATS did not acknowledge the change (${(e as Error).message})`, e);
    }
  }

  async publishChange(change: BusChange): Promise<number> {
    if (change.kind !== 'deleteUser') return this.publish('items', change);
    const tok = userToken(this.userKey, change.user);
    const seq = await this.publish(`erase.${tok}`, change);
    this.tombstone(tok, seq);
    await this.purgeUser(tok, seq);
    return seq;
  }

  /**
   * Once every consumer of the stream has been delivered the erasure at `seq` and the writer has
   * applied it, removes the user's events and the erasure (which names them) from the stream.
   * Past ERASE_WAIT_MS (a consumer that does not move: a node stopped, not yet expired) it purges
   * anyway: a node that starts later loads the store, which no longer holds the user.
   */
  private async purgeUser(tok: string, seq: number): Promise<void> {
    const until = Date.now() + ERASE_WAIT_MS;
    for (;;) {
      let behind = false;
      try {
        for await (const c of this.jsm.consumers.list(this.stream)) {
          const passed = c.name === WRITER ? c.ack_floor.stream_seq : c.delivered.stream_seq;
          if (passed < seq) behind = true;
        }
      } catch (e) {
        throw this.unavailable(`NATS did not list the stream's consumers (${(e as Error).message})`, e);
      }
      if (!behind) break;
      if (Date.now() > until) {
        this.log(`a consumer has not passed an erasure after ${ERASE_WAIT_MS} ms; purging anyway`);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      for (const filter of [`${this.subjectPrefix}.events.*.${tok}`, `${this.subjectPrefix}.erase.${tok}`])
        await this.jsm.streams.purge(this.stream, { filter, seq: seq + 1 });
    } catch (e) {
      throw this.unavailable(`NATS did not purge the erased user (${(e as Error).message})`, e);
    }
  }

  async publishModel(model: ModelAnnouncement): Promise<void> {
    await this.publish('model', model);
  }

  onModel(handler: (model: ModelAnnouncement) => void): () => void {
    this.modelHandlers.add(handler);
    return () => this.modelHandlers.delete(handler);
  }

  health(): DependencyHealth {
    const target = redactUrl(this.o.url);
    if (!this.connected) return { status: 'down', target, detail: 'reconnecting; writes answer 503' };
    if (this.storeError) {
      return {
        status: 'degraded',
        target,
        detail: `the store refuses the stream's events: ${this.storeError}`,
      };
    }
    return { status: 'ok', target, detail: `stream ${this.stream}, applied through ${this.applied}` };
  }

  async drain(): Promise<void> {
    await this.applyChain;
    await this.writeChain;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.loops) await l.close().catch(() => {});
    await this.drain();
    for (const w of this.waiting) w.resolve();
    this.waiting.clear();
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/** deletes a cluster's stream (tests and `prefix` changes) */
export async function deleteNatsStream(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: url.split(','), timeout: 3000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(`fusionrec-${prefix}`).catch(() => false);
  } finally {
    await nc.close();
  }
}
