import type Database from 'better-sqlite3';
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
import type { DB } from './open.ts';
import { placeholders, splitFilter } from './sql.ts';

export class SqliteEvents implements EventStore {
  private readonly insertStmt;
  private readonly userStmt;
  private readonly statements = new Map<string, Database.Statement>();
  constructor(private readonly db: DB) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO events (id, user, item, scenario, type, value, text, ts, context, split)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.userStmt = db.prepare('INSERT OR IGNORE INTO users (id, json) VALUES (?, NULL)');
  }

  async add(events: readonly Event[], opts: AddOptions = {}): Promise<AddResult> {
    let inserted = 0;
    this.db.transaction(() => {
      let lastUser = '';
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        const r = this.insertStmt.run(
          e.id,
          e.user,
          e.item,
          e.scenario,
          e.type,
          e.value ?? null,
          e.text ?? null,
          e.ts,
          e.context ? JSON.stringify(e.context) : null,
          e.split ?? null,
        );
        inserted += r.changes;
        if (r.changes > 0) opts.onInserted?.(i);
        if (r.changes > 0 && e.user !== lastUser) {
          this.userStmt.run(e.user);
          lastUser = e.user;
        }
      }
    })();
    return { inserted, duplicates: events.length - inserted };
  }

  async ofUser(user: string, q: EventQuery = {}): Promise<StoredEvent[]> {
    const params: unknown[] = [user];
    let sql = 'SELECT * FROM events WHERE user = ?';
    if (q.scenario !== undefined) {
      sql += ' AND scenario = ?';
      params.push(q.scenario);
    }
    if (q.since !== undefined) {
      sql += ' AND ts >= ?';
      params.push(q.since);
    }
    if (q.until !== undefined) {
      sql += ' AND ts < ?';
      params.push(q.until);
    }
    sql += splitFilter(q.splits, params);
    if (q.limit !== undefined) {
      sql = `SELECT * FROM (${sql} ORDER BY ts DESC, seq DESC LIMIT ?) ORDER BY ts, seq`;
      params.push(q.limit);
    } else sql += ' ORDER BY ts, seq';
    return (this.statement(sql).all(...params) as EventRow[]).map(toEvent);
  }

  /** prepared once per distinct SQL text: profile reads run on every request for a new user */
  private statement(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (this.statements.size < 64) this.statements.set(sql, st);
    }
    return st;
  }

  async scan(opts: {
    afterSeq?: number;
    limit: number;
    scenario?: string;
    splits?: readonly Split[];
  }): Promise<ScanPage> {
    const params: unknown[] = [opts.afterSeq ?? 0];
    let sql = 'SELECT * FROM events WHERE seq > ?';
    if (opts.scenario !== undefined) {
      sql += ' AND scenario = ?';
      params.push(opts.scenario);
    }
    sql += splitFilter(opts.splits, params);
    sql += ' ORDER BY seq LIMIT ?';
    params.push(opts.limit);
    const events = (this.db.prepare(sql).all(...params) as EventRow[]).map(toEvent);
    return { events, next: events.length === opts.limit ? events[events.length - 1]!.seq : undefined };
  }

  pages(opts: PageOptions & { scenario?: string; splits?: readonly Split[] }): AsyncIterable<StoredEvent[]> {
    const { scenario, splits } = opts;
    return keysetPages(
      opts,
      async (afterSeq: number | undefined, limit) =>
        (await this.scan({ afterSeq, limit, scenario, splits })).events,
      (e) => e.seq,
    );
  }

  async popularity(
    scenario: string,
    opts: { since?: number; until?: number; limit?: number; types?: readonly string[] } = {},
  ): Promise<{ item: string; count: number; users: number }[]> {
    const params: unknown[] = [scenario];
    let sql = 'SELECT item, COUNT(*) AS count, COUNT(DISTINCT user) AS users FROM events WHERE scenario = ?';
    if (opts.since !== undefined) {
      sql += ' AND ts >= ?';
      params.push(opts.since);
    }
    if (opts.until !== undefined) {
      sql += ' AND ts < ?';
      params.push(opts.until);
    }
    if (opts.types && opts.types.length > 0) {
      sql += ` AND type IN (${placeholders(opts.types.length)})`;
      params.push(...opts.types);
    }
    sql += ' GROUP BY item ORDER BY users DESC, count DESC, item LIMIT ?';
    params.push(opts.limit ?? 100);
    return this.db.prepare(sql).all(...params) as { item: string; count: number; users: number }[];
  }

  async count(opts: { scenario?: string; splits?: readonly Split[] } = {}): Promise<number> {
    const params: unknown[] = [];
    let sql = 'SELECT COUNT(*) FROM events WHERE 1=1';
    if (opts.scenario !== undefined) {
      sql += ' AND scenario = ?';
      params.push(opts.scenario);
    }
    sql += splitFilter(opts.splits, params);
    return this.db
      .prepare(sql)
      .pluck()
      .get(...params) as number;
  }

  async hasEvent(id: string): Promise<boolean> {
    return this.statement('SELECT 1 FROM events WHERE id = ?').pluck().get(id) !== undefined;
  }

  async existing(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(ids)];
    // in chunks that stay under SQLite's bound-parameter limit
    for (let i = 0; i < unique.length; i += 500) {
      const chunk = unique.slice(i, i + 500);
      const sql = `SELECT id FROM events WHERE id IN (${chunk.map(() => '?').join(',')})`;
      for (const id of this.statement(sql)
        .pluck()
        .all(...chunk) as string[])
        found.add(id);
    }
    return found;
  }
}
