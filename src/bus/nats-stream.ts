/**
 * What the NATS bus's parts share (src/bus/nats.ts puts them together): the connection and the
 * stream, subjects and user tokens, and the loop that reads a consumer in batches.
 *
 * One stream per cluster, `fusionrec-<prefix>`, subjects `fusionrec.<prefix>.events.<scenario>.<user
 * token>`, `.items`, `.erase.<user token>`, `.model`. A user token is a keyed hash of the user id
 * (the key is made by the node that creates the stream and kept in its description), so no subject
 * names a user and an erasure can purge every message of one user by subject.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { RecError } from '../core/errors.ts';

/** the header naming the node that published a change (a node is not told of its own) */
export const ORIGIN = 'Fusionrec-Origin';
/** the durable consumer every node shares to write the stream to the store */
export const WRITER = 'writer';
/** how long a batch the store refused waits before it is delivered again */
export const REDELIVER_MS = 1000;
/** the stream's description: `<DESCRIPTION><hex key>`, the key of the user tokens */
const DESCRIPTION = 'fusionrec event stream; user token key ';

/** the URL without credentials, for messages and `/health` */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//…@');
}

/** a subject token from a scenario id (the id itself travels in the message) */
export function scenarioToken(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
}

/** the subject token of a user: a keyed hash, so subjects do not name users */
export function userToken(key: string, user: string): string {
  return createHmac('sha256', key).update(user).digest('hex').slice(0, 24);
}

const encoder = new TextEncoder();
export const json = (v: unknown): Uint8Array => encoder.encode(JSON.stringify(v));

/** the subject's tokens after the cluster's prefix (`events`, `<scenario>`, `<token>`) */
export function restOf(subjectPrefix: string, m: JsMsg): string[] {
  return m.subject.slice(subjectPrefix.length + 1).split('.');
}

/** a connection to the cluster's stream, made by `openStream` */
export interface Stream {
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** the stream's name */
  name: string;
  /** `fusionrec.<prefix>` */
  subjectPrefix: string;
  /** the key of the user tokens */
  userKey: string;
  /** the writer's acknowledged floor when opened: the store holds everything up to it */
  floor: number;
}

export interface StreamOptions {
  url: string;
  prefix: string;
  duplicateWindowMs: number;
  maxAgeHours: number;
  publishTimeoutMs: number;
  writerBatch: number;
}

/**
 * Connects, makes sure the stream and the shared writer exist, and reads the writer's floor. An
 * unreachable server or one without JetStream is one error line naming `bus.url`.
 */
export async function openStream(o: StreamOptions): Promise<Stream> {
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
    const name = `fusionrec-${o.prefix}`;
    const subjectPrefix = `fusionrec.${o.prefix}`;
    const subjects = `${subjectPrefix}.>`;
    let description: string | undefined;
    try {
      description = (await jsm.streams.info(name)).config.description;
    } catch {
      const config = {
        name,
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
        .catch(async () => (await jsm.streams.info(name)).config.description);
    }
    // a stream made without a key: its name keys the tokens
    const userKey = description?.startsWith(DESCRIPTION) ? description.slice(DESCRIPTION.length) : name;
    await jsm.consumers.add(name, {
      durable_name: WRITER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects,
      // one batch in flight cluster-wide: batches reach the store in stream order (an erasure
      // after the user's earlier events), and a slow node does not sit on most of the backlog
      max_ack_pending: o.writerBatch,
      ack_wait: nanos(30_000),
    });
    const floor = (await jsm.consumers.info(name, WRITER)).ack_floor.stream_seq;
    return { nc, jsm, name, subjectPrefix, userKey, floor };
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

/** a consumer's reading, until closed */
export interface ConsumeLoop {
  /** resolves once every message received so far has been handled */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Reads a consumer until closed, handing messages on in batches, one at a time: each batch is
 * every message that arrived while the previous one was handled, so a busy handler takes larger
 * batches (fewer transactions, fewer deliveries to the engine) rather than falling behind. A
 * consumer that ends (the server went away for long) is reopened. `handle` does not throw.
 */
export function consumeLoop(
  open: () => Promise<ConsumerMessages>,
  handle: (batch: JsMsg[]) => Promise<void>,
  log: (m: string) => void,
): ConsumeLoop {
  let closed = false;
  let current: ConsumerMessages | undefined;
  let queued: JsMsg[] = [];
  let running: Promise<void> | undefined;
  const run = async () => {
    // messages already read from the socket join the first batch
    await new Promise((r) => setImmediate(r));
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      await handle(batch).catch((e) => log(`handling stream messages failed: ${(e as Error).message}`));
    }
    running = undefined;
  };
  void (async () => {
    while (!closed) {
      try {
        const msgs = await open();
        current = msgs;
        if (closed) {
          await msgs.close().catch(() => {});
          break;
        }
        for await (const m of msgs) {
          queued.push(m);
          running ??= run();
        }
      } catch (e) {
        if (!closed) log(`consumer stopped (${(e as Error).message}); reopening`);
      }
      if (!closed) await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async idle() {
      while (running) await running;
    },
    async close() {
      closed = true;
      await current?.close().catch(() => {});
    },
  };
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
