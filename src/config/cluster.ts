/**
 * The `bus` and `cache` sections: what several stateless server nodes share besides the store.
 * Both empty by default, which is the embedded single-process mode (an in-process bus, no shared
 * cache). Every key has a default and a description (docs/config.md).
 */
import { z } from 'zod';

const d = <T extends z.ZodType>(schema: T, description: string) => schema.describe(description);

/** a NATS subject token and a JetStream stream name alike: no dots, wildcards or spaces */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export const busSection = z
  .strictObject({
    url: d(
      z
        .string()
        .regex(/^(nats:\/\/\S+)?$/, { message: 'must be empty (in-process) or nats://host:port' })
        .default(''),
      'Event bus: empty = in-process (one node); `nats://host:port[,nats://…]` = NATS JetStream shared by every node (writes are answered after the stream acknowledges them). CLI: `--bus`. Env: FUSIONREC_BUS__URL.',
    ),
    prefix: d(
      z.string().regex(TOKEN, { message: 'letters, digits, _ and - only (1 to 64)' }).default('main'),
      'Names the JetStream stream (`fusionrec-<prefix>`) and its subjects (`fusionrec.<prefix>.events.<scenario>.<user token>`, `.items`, `.erase.<user token>`, `.model`): nodes that share a prefix form one cluster.',
    ),
    duplicateWindowMs: d(
      z.number().int().min(1000).default(120_000),
      'How long the stream remembers event ids: a batch retried within it is stored once (older retries are caught by the store).',
    ),
    maxAgeHours: d(
      z.number().min(1).default(168),
      'Messages older than this leave the stream (the store is the truth; the stream is a buffer for nodes that are behind).',
    ),
    publishTimeoutMs: d(
      z.number().int().min(100).default(5000),
      'How long a write waits for the stream to acknowledge it before answering 503.',
    ),
    writerBatch: d(
      z.number().int().min(1).max(10_000).default(1000),
      'Events the store writer takes from the stream per transaction (also the most unacknowledged ones in flight, cluster-wide).',
    ),
    retryAfterSeconds: d(
      z.number().int().min(1).default(5),
      'The `Retry-After` a write gets while the bus or the store is unreachable (503).',
    ),
  })
  .prefault({});

export const cacheSection = z
  .strictObject({
    url: d(
      z
        .string()
        .regex(/^(rediss?:\/\/\S+)?$/, { message: 'must be empty (none) or redis://host:port[/db]' })
        .default(''),
      'Shared cache: empty = none (local rate limits, no response cache); `redis://host:port[/db]` = Redis for rate-limit counters and the response cache. Unreachable: the node falls back to local limits and no cache, and `/health` says so. CLI: `--cache`. Env: FUSIONREC_CACHE__URL.',
    ),
    prefix: d(
      z.string().min(1).max(64).default('fusionrec:'),
      'Prefix of every Redis key this cluster writes.',
    ),
    recommendTtlMs: d(
      z.number().int().min(0).default(5000),
      "How long a /v1/recommend answer is kept (dropped earlier when the user's events arrive); 0 = no response cache.",
    ),
  })
  .prefault({});
