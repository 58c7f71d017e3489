/**
 * The event bus: how a write made by one server node reaches every node's memory, and how it
 * becomes durable. Two implementations, picked by `bus.url` in the composition root
 * (engine/create.ts): in-process (one node; events are durable once the store commits them) and
 * NATS JetStream (many nodes; durable once the stream acknowledges them, written to the store by a
 * shared durable consumer, applied by every node from its own ordered consumer).
 */
import type { Event } from '../core/types.ts';

export interface EventCounts {
  inserted: number;
  duplicates: number;
}

/** a write other than events, for every node to apply in memory (the store already holds it) */
export type BusChange =
  | { kind: 'items'; ids: string[] }
  | { kind: 'deleteItem'; id: string }
  /** `erasure`: the engine's in-memory erasure (engine/forget.ts), plain JSON, so every node forgets the user's share of its graphs */
  | { kind: 'deleteUser'; user: string; erasure?: unknown };

/** a newly published model (the trainer announces it; nodes may swap to it) */
export interface ModelAnnouncement {
  version: string;
  /** when it was published (ms since the epoch) */
  at: number;
}

/** one dependency's state, as `/health` reports it */
export interface DependencyHealth {
  /** `ok`; `degraded`: the node serves without it (reads, or local fallbacks); `down`: writes fail */
  status: 'ok' | 'degraded' | 'down';
  /** what it is (a URL without credentials) */
  target: string;
  detail?: string;
}

/** What the bus delivers to the engine it serves. */
export interface BusHandlers {
  /**
   * New events, each once, in publication order; `position` grows with every delivery (the stream
   * sequence of the last one), so a cached answer can tell whether it predates them.
   */
  events(events: Event[], position: number): Promise<void>;
  /** a change another node made (a node is not told of its own), at `position` */
  change(change: BusChange, position: number): Promise<void>;
}

export interface EventBus {
  /** `local`: one process; `nats`: a cluster */
  readonly kind: 'local' | 'nats';
  /** starts delivering to the handlers (once, after the engine has loaded its state) */
  start(handlers: BusHandlers): Promise<void>;
  /**
   * Makes the events durable (stored, or acknowledged by the stream; an event id already taken is
   * a duplicate) and resolves once this node has applied them, so its next answer reflects them.
   * Rejects with UNAVAILABLE (503) when the bus or the store cannot take them: nothing of a
   * rejected batch is acknowledged, and a retry is deduplicated by event id.
   */
  publishEvents(events: readonly Event[]): Promise<EventCounts>;
  /** throws UNAVAILABLE when a change could not be announced now (checked before writing one) */
  checkWritable(): void;
  /** tells the other nodes of a change this node made to the store; resolves with its position */
  publishChange(change: BusChange): Promise<number>;
  /** announces a model version to every node */
  publishModel(model: ModelAnnouncement): Promise<void>;
  /** calls `handler` on every model announcement; returns the unsubscribe */
  onModel(handler: (model: ModelAnnouncement) => void): () => void;
  /**
   * Where this node stands: every delivery so far is at or before it. A cached answer stamped
   * with it is refused by a node that has applied a later change of the user or the catalog.
   */
  position(): number;
  health(): DependencyHealth;
  /** waits until everything accepted is durable and applied */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The users erased while this process runs, shared by the engine and its bus (one registry, made
 * in engine/create.ts: engine/erased.ts): an event of a user published before their erasure and
 * delivered after it is not written back, and no answer for them is logged as an impression.
 */
export interface ErasureRegistry {
  /** records the user's erasure at bus position `position` */
  erase(user: string, position: number): void;
  /** the bus position of the user's latest remembered erasure */
  erasedAt(user: string): number | undefined;
}
