import type pg from 'pg';
import type { Event, Split } from '../../core/types.ts';
import { type EventRow, toEvent } from '../data/event-rows.ts';
import type {
  AddOptions,
  AddResult,
  EventQuery,
  EventStore,
  PageOptions,
  ScanPage,
  StoredEvent,
} from '../data/types.ts';
import { keysetPages } from '../pages.ts';
import { insertEvents } from './bulk.ts';
import { EVENTS_BY_USER, LOCKS } from './open.ts';
import { inTransaction, Params, splitFilter } from './sql.ts';

const COLUMNS = 'seq, id, user_id AS "user", item, scenario, type, value, text, ts, context, split';

export class PgEvents implements EventStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * One transaction. Event writers take turns (an advisory lock held to commit), so `seq` order is
   * commit order and `scan({ afterSeq })` never passes over an event committed later with a lower
   * seq, as it would with concurrent writers drawing from one sequence.
   */
  async add(events: readonly Event[], opts: AddOptions = {}): Promise<AddResult> {
    if (events.length === 0) return { inserted: 0, duplicates: 0 };
    // the first of each id in the batch is the one that may be new
    const first = new Map<string, number>();
    const unique: Event[] = [];
    for (let i = 0; i < events.length; i++) {
      const id = events[i]!.id;
      if (!first.has(id)) {
        first.set(id, i);
        unique.push(events[i]!);
      }
    }
    const inserted = await inTransaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.events]);
      const r = await insertEvents(c, unique, opts.onInserted !== undefined);
      if (!('ids' in r)) return r.count;
      const idx = r.ids.map((id) => first.get(id)!).sort((a, b) => a - b);
      for (const i of idx) opts.onInserted?.(i);
      return r.ids.length;
    });
    return { inserted, duplicates: events.length - inserted };
  }

  /**
   * A bulk load (an import): into an empty table the index by user is dropped and built once at
   * the end, one sort instead of a random insertion per row (docs/deploy.md has the numbers).
   * Into a table that holds events, `load` runs as it is.
   */
  async bulkLoad<T>(load: () => Promise<T>): Promise<T> {
    const { rows } = await this.pool.query<{ empty: boolean }>(
      'SELECT NOT EXISTS (SELECT 1 FROM events) AS empty',
    );
    if (!rows[0]!.empty) return load();
    await this.pool.query('DROP INDEX IF EXISTS events_by_user');
    try {
      return await load();
    } finally {
      await this.pool.query(EVENTS_BY_USER);
    }
  }

  async ofUser(user: string, q: EventQuery = {}): Promise<StoredEvent[]> {
    const p = new Params();
    let sql = `SELECT ${COLUMNS} FROM events WHERE user_id = ${p.add(user)}`;
    if (q.scenario !== undefined) sql += ` AND scenario = ${p.add(q.scenario)}`;
    if (q.since !== undefined) sql += ` AND ts >= ${p.add(q.since)}`;
    if (q.until !== undefined) sql += ` AND ts < ${p.add(q.until)}`;
    sql += splitFilter(q.splits, p);
    if (q.limit !== undefined)
      sql = `SELECT * FROM (${sql} ORDER BY ts DESC, seq DESC LIMIT ${p.add(q.limit)}) AS recent ORDER BY ts, seq`;
    else sql += ' ORDER BY ts, seq';
    const { rows } = await this.pool.query<EventRow>(sql, p.values);
    return rows.map(toEvent);
  }

  async scan(opts: {
    afterSeq?: number;
    limit: number;
    scenario?: string;
    splits?: readonly Split[];
  }): Promise<ScanPage> {
    const p = new Params();
    let sql = `SELECT ${COLUMNS} FROM events WHERE seq > ${p.add(opts.afterSeq ?? 0)}`;
    if (opts.scenario !== undefined) sql += ` AND scenario = ${p.add(opts.scenario)}`;
    sql += splitFilter(opts.splits, p);
    sql += ` ORDER BY seq LIMIT ${p.add(opts.limit)}`;
    const { rows } = await this.pool.query<EventRow>(sql, p.values);
    const events = rows.map(toEvent);
    return { events, next: events.length === opts.limit ? events[events.length - 1]!.seq : undefined };
  }

  pages(opts: PageOptions & { scenario?: string; splits?: readonly Split[] }): AsyncIterable<StoredEvent[]> {
    const { scenario, splits } = opts;
    return keysetPages(
      opts,
      async (afterSeq: number | undefined, limit) =>
        (
          await this.scan({
            limit,
            ...(afterSeq !== undefined ? { afterSeq } : {}),
            ...(scenario !== undefined ? { scenario } : {}),
            ...(splits !== undefined ? { splits } : {}),
          })
        ).events,
      (e) => e.seq,
    );
  }

  async popularity(
    scenario: string,
    opts: { since?: number; until?: number; limit?: number; types?: readonly string[] } = {},
  ): Promise<{ item: string; count: number; users: number }[]> {
    const p = new Params();
    let sql = `SELECT item, COUNT(*) AS count, COUNT(DISTINCT user_id) AS users FROM events WHERE scenario = ${p.add(scenario)}`;
    if (opts.since !== undefined) sql += ` AND ts >= ${p.add(opts.since)}`;
    if (opts.until !== undefined) sql += ` AND ts < ${p.add(opts.until)}`;
    if (opts.types && opts.types.length > 0) sql += ` AND type = ANY(${p.add(opts.types)}::text[])`;
    sql += ` GROUP BY item ORDER BY users DESC, count DESC, item LIMIT ${p.add(opts.limit ?? 100)}`;
    const { rows } = await this.pool.query<{ item: string; count: number; users: number }>(sql, p.values);
    return rows;
  }

  async count(opts: { scenario?: string; splits?: readonly Split[] } = {}): Promise<number> {
    const p = new Params();
    let sql = 'SELECT COUNT(*) AS n FROM events WHERE true';
    if (opts.scenario !== undefined) sql += ` AND scenario = ${p.add(opts.scenario)}`;
    sql += splitFilter(opts.splits, p);
    const { rows } = await this.pool.query<{ n: number }>(sql, p.values);
    return rows[0]!.n;
  }

  async hasEvent(id: string): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM events WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async existing(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 1000) {
      const { rows } = await this.pool.query<{ id: string }>(
        'SELECT id FROM events WHERE id = ANY($1::text[])',
        [unique.slice(i, i + 1000)],
      );
      for (const r of rows) found.add(r.id);
    }
    return found;
  }
}
