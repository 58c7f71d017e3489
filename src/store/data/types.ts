/**
 * The data store: the source of truth (scenarios, items, users, events, job checkpoints). Nothing
 * in it can be recomputed, so a backend must keep every write it acknowledged. Every backend passes
 * the suite in `data/contract.ts`. All methods are async so a networked backend fits the same shape.
 */
import type { Context, Event, Item, Scenario, Split, User } from '../../core/types.ts';

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

/** How `pages()` walks a table: `limit` rows a page; `signal` is checked before each page is read. */
export interface PageOptions {
  limit: number;
  signal?: AbortSignal;
}

export interface ScenarioStore {
  upsert(scenarios: readonly Scenario[]): Promise<void>;
  list(): Promise<Scenario[]>;
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
  /** one page of items ordered by id, after `afterId` (the HTTP listing's cursor) */
  list(opts?: { scenario?: string; afterId?: string; limit?: number }): Promise<Item[]>;
  /** every item (of `scenario`) ordered by id, a page at a time; no empty pages */
  pages(opts: PageOptions & { scenario?: string }): AsyncIterable<Item[]>;
  count(scenario?: string): Promise<number>;
}

export interface UserStore {
  upsert(users: readonly User[]): Promise<void>;
  get(id: string): Promise<User | undefined>;
  count(): Promise<number>;
  /** one page of users ordered by id, after `afterId` */
  list(opts?: { afterId?: string; limit?: number }): Promise<User[]>;
  /** every user ordered by id, a page at a time; no empty pages */
  pages(opts: PageOptions): AsyncIterable<User[]>;
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
  /**
   * runs `load` (a run of `add` calls: an import) letting the store defer work it can do once at
   * the end, such as building an index; absent: nothing to defer
   */
  bulkLoad?<T>(load: () => Promise<T>): Promise<T>;
  ofUser(user: string, q?: EventQuery): Promise<StoredEvent[]>;
  /** one page of events in insertion order after `afterSeq`, optionally filtered */
  scan(opts: {
    afterSeq?: number;
    limit: number;
    scenario?: string;
    splits?: readonly Split[];
  }): Promise<ScanPage>;
  /** every event (optionally filtered) in insertion order, a page at a time; no empty pages */
  pages(opts: PageOptions & { scenario?: string; splits?: readonly Split[] }): AsyncIterable<StoredEvent[]>;
  /** items by number of events (weighted by distinct users) in a scenario and time window */
  popularity(
    scenario: string,
    opts?: { since?: number; until?: number; limit?: number; types?: readonly string[] },
  ): Promise<{ item: string; count: number; users: number }[]>;
  count(opts?: { scenario?: string; splits?: readonly Split[] }): Promise<number>;
  hasEvent(id: string): Promise<boolean>;
  /** which of `ids` are stored, in one query per thousand ids (the bus's duplicate check of a batch) */
  existing(ids: readonly string[]): Promise<Set<string>>;
}

interface ScenarioStats {
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

/** One shown item of an impression: its place, its score and how it came to be shown. */
export interface ImpressionItem {
  item: string;
  /** 0-based place in the served list */
  position: number;
  score: number;
  /** interleaving: the variant whose ranking contributed the item */
  team?: string;
  /** the probability the serving policy gave this item its place (exploration; 1 when deterministic) */
  propensity?: number;
  /** interleaving of two model versions: the version of the variant that contributed the item */
  modelVersion?: string;
  /** placed by the exploration slot's policy, not by the ranking */
  explored?: boolean;
}

/** One served answer, as logged: what was shown to whom, by which model and experiment variant. */
export interface Impression {
  /** the recommendation id the answer carried */
  id: string;
  user: string;
  scenario: string;
  ts: number;
  modelVersion: string;
  experiment?: string;
  variant?: string;
  context?: Context;
  items: ImpressionItem[];
  /** a randomized answer's logging policy: the shuffle's share and pool (engine/randomize.ts) */
  randomized?: { epsilon: number; ranked: string[] };
}

/** A feedback event credited to an impression (and through it to a variant). */
export interface Attribution {
  /** the event's id: one attribution per event */
  event: string;
  impression: string;
  user: string;
  item: string;
  type: string;
  ts: number;
}

export interface ImpressionPage {
  impressions: (Impression & { seq: number })[];
  /** pass back as `afterSeq`; undefined when done */
  next: number | undefined;
}

/**
 * The feedback log: impressions and the events attributed to them. Written in batches off the
 * request path; erased with their user.
 */
export interface ImpressionStore {
  /** one transaction; idempotent on impression id; returns the rows inserted */
  add(impressions: readonly Impression[]): Promise<number>;
  get(id: string): Promise<Impression | undefined>;
  /** the user's most recent impression at or after `since` and at or before `until` that showed `item` */
  latestShowing(user: string, item: string, since: number, until: number): Promise<Impression | undefined>;
  /** one page in insertion order, optionally of one experiment */
  scan(opts: { experiment?: string; afterSeq?: number; limit: number }): Promise<ImpressionPage>;
  /** one transaction; idempotent on event id; returns the rows inserted */
  attribute(rows: readonly Attribution[]): Promise<number>;
  /** the attributions of these impressions, in no particular order */
  attributionsOf(impressions: readonly string[]): Promise<Attribution[]>;
  count(opts?: { experiment?: string }): Promise<number>;
}

export interface DataStore {
  readonly scenarios: ScenarioStore;
  readonly items: ItemStore;
  readonly users: UserStore;
  readonly events: EventStore;
  readonly impressions: ImpressionStore;
  /** small key-value settings and job checkpoints */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  stats(): Promise<StoreStats>;
  /**
   * Erases the user's source data: events, user row, and the user as a followable item
   * `user:<id>` (social scenarios) with the events that point at it, and the user's impressions
   * and attributions. Returns the rows removed.
   */
  deleteUser(user: string): Promise<number>;
  close(): Promise<void>;
}
