/**
 * Store contracts. The data store is the source of truth (scenarios, items, users, events); the
 * derived stores (vectors, profiles, models) can be rebuilt from it. Every backend passes the one
 * contract suite in `contract.ts`. All methods are async so a networked backend fits the same shape.
 */
import type { Event, Item, Scenario, Split, User } from '../core/types.ts';

/** An event as stored: `seq` is the store's insertion order, the tie-breaker for equal timestamps. */
export interface StoredEvent extends Event {
  seq: number;
}

export interface EventQuery {
  scenario?: string;
  /** inclusive lower bound, epoch ms */
  since?: number;
  /** exclusive upper bound, epoch ms */
  until?: number;
  splits?: readonly Split[];
  /** most recent `limit` events (still returned oldest first) */
  limit?: number;
}

export interface AddResult {
  inserted: number;
  duplicates: number;
}

export interface ScanPage {
  events: StoredEvent[];
  /** pass back as `afterSeq` for the next page; undefined when done */
  next: number | undefined;
}

export interface ScenarioStore {
  upsert(scenarios: readonly Scenario[]): Promise<void>;
  list(): Promise<Scenario[]>;
  get(id: string): Promise<Scenario | undefined>;
}

export interface ItemStore {
  /** insert or replace, all in one transaction */
  upsert(items: readonly Item[]): Promise<void>;
  get(id: string): Promise<Item | undefined>;
  /** in the order of `ids`; unknown ids are skipped */
  getMany(ids: readonly string[]): Promise<Item[]>;
  /** the scenario of each id that exists (no item bodies read: event checks ask for a thousand at a time) */
  scenariosOf(ids: readonly string[]): Promise<Map<string, string>>;
  delete(id: string): Promise<boolean>;
  /** pages through items ordered by id */
  list(opts?: { scenario?: string; afterId?: string; limit?: number }): Promise<Item[]>;
  count(scenario?: string): Promise<number>;
}

export interface UserStore {
  upsert(users: readonly User[]): Promise<void>;
  get(id: string): Promise<User | undefined>;
  count(): Promise<number>;
  list(opts?: { afterId?: string; limit?: number }): Promise<User[]>;
}

export interface AddOptions {
  /**
   * Called inside the transaction for each event that was new (not a duplicate of a stored or an
   * earlier event of the batch), with its index in the batch: the duplicate check of the insert
   * itself, so callers need no query per event.
   */
  onInserted?: (index: number) => void;
}

export interface EventStore {
  /** one transaction; idempotent on event id; registers unseen users */
  add(events: readonly Event[], opts?: AddOptions): Promise<AddResult>;
  ofUser(user: string, q?: EventQuery): Promise<StoredEvent[]>;
  /** all events in insertion order, paged, optionally filtered */
  scan(opts: {
    afterSeq?: number;
    limit: number;
    scenario?: string;
    splits?: readonly Split[];
  }): Promise<ScanPage>;
  /** items by number of events (weighted by distinct users) in a scenario and time window */
  popularity(
    scenario: string,
    opts?: { since?: number; until?: number; limit?: number; types?: readonly string[] },
  ): Promise<{ item: string; count: number; users: number }[]>;
  /** items co-consumed with `item` by the same users, by number of such users */
  coOccurrence(
    item: string,
    opts?: { scenario?: string; limit?: number },
  ): Promise<{ item: string; users: number }[]>;
  count(opts?: { scenario?: string; splits?: readonly Split[] }): Promise<number>;
  hasEvent(id: string): Promise<boolean>;
}

/** Derived, keyed blobs: embedding cache, item vectors, profiles, trained models. */
export interface BlobStore {
  get(namespace: string, key: string): Promise<Uint8Array | undefined>;
  getMany(namespace: string, keys: readonly string[]): Promise<Map<string, Uint8Array>>;
  put(namespace: string, entries: readonly { key: string; value: Uint8Array }[]): Promise<void>;
  delete(namespace: string, keys: readonly string[]): Promise<void>;
  keys(namespace: string): Promise<string[]>;
  count(namespace: string): Promise<number>;
}

export interface ScenarioStats {
  scenario: string;
  items: number;
  users: number;
  events: number;
}

export interface StoreStats {
  items: number;
  users: number;
  events: number;
  scenarios: ScenarioStats[];
  /** users with events in two or more scenarios */
  multiScenarioUsers: number;
  /** per split ('none' for events without one): users with events in two or more scenarios within it */
  multiScenarioUsersBySplit: Record<string, number>;
  eventsByType: Record<string, number>;
  eventsBySplit: Record<string, number>;
}

export interface Store {
  readonly url: string;
  readonly scenarios: ScenarioStore;
  readonly items: ItemStore;
  readonly users: UserStore;
  readonly events: EventStore;
  /** derived data, keyed by namespace; may hold user ids in keys, which deleteUser erases */
  readonly blobs: BlobStore;
  /** small key-value settings and job checkpoints */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  stats(): Promise<StoreStats>;
  /**
   * Erases every trace of a user: events, user row, and every blob whose key is the user id or
   * starts with `${user}:` in any namespace; and the user as a followable item `user:<id>`
   * (social scenarios) with the events that point at it and blobs keyed by it. Returns the
   * number of rows removed.
   */
  deleteUser(user: string): Promise<number>;
  /**
   * flushes the write-ahead log into the main file and truncates it; after a deleteUser it first
   * rewrites the file, so no freed copy of the user's data survives in the database or the WAL
   */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}
