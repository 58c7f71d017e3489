/**
 * Many JetStream publishes in flight on one connection, each PubAck matched to its publish. Every
 * message carries its own reply subject under one inbox this node subscribes to once, and a batch
 * has one timer. `jetstream().publish` makes a request per message instead (a reply handler, a
 * timer and an error object with its stack each), which costs several times the CPU per event of
 * a plain publish: on a 2-core machine that CPU is what NATS itself needs (docs/deploy.md).
 *
 * What a PubAck means is unchanged: the stream stored the message (or found its `Nats-Msg-Id`
 * already stored within the duplicate window: `duplicate`).
 */
import {
  createInbox,
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

export interface PubAck {
  seq: number;
  duplicate: boolean;
}

/** one message to publish; `msgID` deduplicates it in the stream */
export interface Outgoing {
  subject: string;
  data: Uint8Array;
  msgID: string;
}

type Settle = (ack: PubAck | Error) => void;

const decoder = new TextDecoder();

/** a PubAck, or why the stream refused the message */
function ackOf(m: Msg): PubAck | Error {
  // a status message: no stream takes the subject (503), or the server refused the request
  if (m.headers?.hasError || m.data.length === 0) {
    const code = m.headers?.code;
    return new Error(
      code === 503
        ? 'no stream stores the subject (503)'
        : `no acknowledgement (${code ?? 'an empty reply'} ${m.headers?.description ?? ''})`.trim(),
    );
  }
  const a = JSON.parse(decoder.decode(m.data)) as {
    seq?: number;
    duplicate?: boolean;
    error?: { description?: string };
  };
  if (a.error || typeof a.seq !== 'number') return new Error(a.error?.description ?? 'malformed PubAck');
  return { seq: a.seq, duplicate: a.duplicate === true };
}

export class PubAcks {
  private readonly inbox = createInbox();
  private readonly pending = new Map<string, Settle>();
  private readonly sub: Subscription;
  private next = 0;

  constructor(private readonly nc: NatsConnection) {
    this.sub = nc.subscribe(`${this.inbox}.*`, {
      callback: (_err, m) => {
        const key = m.subject.slice(this.inbox.length + 1);
        const settle = this.pending.get(key);
        if (!settle) return;
        this.pending.delete(key);
        settle(ackOf(m));
      },
    });
  }

  /**
   * Publishes every message at once; resolves with each one's PubAck, in order, once all came
   * back. Rejects at the first refusal, or when some are still unanswered after `timeoutMs`.
   */
  publishAll(msgs: readonly Outgoing[], timeoutMs: number): Promise<PubAck[]> {
    if (msgs.length === 0) return Promise.resolve([]);
    const keys: string[] = [];
    const acks: PubAck[] = new Array(msgs.length);
    return new Promise<PubAck[]>((resolve, reject) => {
      let left = msgs.length;
      let done = false;
      const finish = (e?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const k of keys) this.pending.delete(k);
        if (e) reject(e);
        else resolve(acks);
      };
      const timer = setTimeout(
        () => finish(new Error(`${left} of ${msgs.length} publishes unacknowledged after ${timeoutMs} ms`)),
        timeoutMs,
      );
      try {
        for (let i = 0; i < msgs.length; i++) {
          const m = msgs[i]!;
          const key = String(this.next++);
          keys.push(key);
          this.pending.set(key, (ack) => {
            if (ack instanceof Error) return finish(ack);
            acks[i] = ack;
            if (--left === 0) finish();
          });
          const h = headers();
          h.set('Nats-Msg-Id', m.msgID);
          this.nc.publish(m.subject, m.data, { headers: h, reply: `${this.inbox}.${key}` });
        }
      } catch (e) {
        finish(e as Error);
      }
    });
  }

  close(): void {
    this.sub.unsubscribe();
    for (const settle of this.pending.values()) settle(new Error('connection closed'));
    this.pending.clear();
  }
}
