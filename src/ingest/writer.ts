import { RecError } from '../core/errors.ts';
import type { Event, Item, Scenario, User } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import type { ImportRecord } from './types.ts';

/**
 * Scenarios an import may reference: those in the store, those from config, and those declared
 * earlier in the input. Config scenarios are written to the store the first time they are used.
 */
export class ScenarioRegistry {
  private readonly known = new Set<string>();
  private readonly pending = new Map<string, Scenario>();

  constructor(stored: readonly Scenario[], configured: readonly Scenario[]) {
    for (const s of stored) this.known.add(s.id);
    for (const s of configured) if (!this.known.has(s.id)) this.pending.set(s.id, s);
  }

  /** Throws UNKNOWN_SCENARIO for a record that references a scenario nobody declared. */
  check(rec: ImportRecord): void {
    if (rec.kind === 'scenario') {
      this.known.add(rec.value.id);
      this.pending.delete(rec.value.id);
      return;
    }
    if (rec.kind === 'user') return;
    const id = rec.value.scenario;
    if (this.known.has(id) || this.pending.has(id)) return;
    throw new RecError(
      'UNKNOWN_SCENARIO',
      `scenario ${JSON.stringify(id)} is not registered: declare it in the store, in config, or in an earlier {"kind":"scenario"} record`,
      { field: 'scenario', ...(rec.location ? { location: rec.location } : {}) },
    );
  }

  /** A config scenario to write before `rec`, the first time one is referenced. */
  takePending(rec: ImportRecord): Scenario | undefined {
    if (rec.kind === 'scenario' || rec.kind === 'user') return undefined;
    const s = this.pending.get(rec.value.scenario);
    if (s) {
      this.pending.delete(s.id);
      this.known.add(s.id);
    }
    return s;
  }
}

export interface WriteCounts {
  records: number;
  scenarios: number;
  items: number;
  users: number;
  eventsRead: number;
  inserted: number;
  duplicates: number;
}

/** the records of one write */
interface Batch {
  scenarios: Scenario[];
  users: User[];
  items: Item[];
  events: Event[];
}

/**
 * Buffers records and writes them in batches: each kind's share of a batch goes to the store in
 * one transaction, in the order scenarios, users, items, events, so nothing is written before
 * what it references. Events keep their input order, which is the store's insertion order.
 */
export class BatchWriter {
  private scenarios: Scenario[] = [];
  private users: User[] = [];
  private items: Item[] = [];
  private events: Event[] = [];
  private buffered = 0;
  readonly counts: WriteCounts = {
    records: 0,
    scenarios: 0,
    items: 0,
    users: 0,
    eventsRead: 0,
    inserted: 0,
    duplicates: 0,
  };

  constructor(
    private readonly store: Store,
    private readonly batchSize: number,
    /** undefined: ids are stored as given */
    private readonly pseudonymise: ((id: string) => string) | undefined,
  ) {}

  /** Buffers one record; true when the buffer is full and should be flushed. */
  add(rec: ImportRecord): boolean {
    switch (rec.kind) {
      case 'scenario':
        this.scenarios.push(rec.value);
        this.counts.scenarios++;
        break;
      case 'item':
        this.items.push(rec.value);
        this.counts.items++;
        break;
      case 'user':
        this.users.push(
          this.pseudonymise ? { ...rec.value, id: this.pseudonymise(rec.value.id) } : rec.value,
        );
        this.counts.users++;
        break;
      case 'event':
        this.events.push(
          this.pseudonymise ? { ...rec.value, user: this.pseudonymise(rec.value.user) } : rec.value,
        );
        this.counts.eventsRead++;
        break;
    }
    this.counts.records++;
    return ++this.buffered >= this.batchSize;
  }

  addScenario(s: Scenario): void {
    this.scenarios.push(s);
    this.counts.scenarios++;
  }

  /** the records buffered so far, handed over for `write`; the buffer starts again empty */
  take(): Batch {
    const b = { scenarios: this.scenarios, users: this.users, items: this.items, events: this.events };
    this.scenarios = [];
    this.users = [];
    this.items = [];
    this.events = [];
    this.buffered = 0;
    return b;
  }

  /** writes a batch `take` gave (the next may be buffered meanwhile; batches are written in turn) */
  async write(b: Batch): Promise<void> {
    if (b.scenarios.length) await this.store.scenarios.upsert(b.scenarios);
    if (b.users.length) await this.store.users.upsert(b.users);
    if (b.items.length) await this.store.items.upsert(b.items);
    if (b.events.length) {
      const r = await this.store.events.add(b.events);
      this.counts.inserted += r.inserted;
      this.counts.duplicates += r.duplicates;
    }
  }
}
