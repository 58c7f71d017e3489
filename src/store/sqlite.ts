import Database from 'better-sqlite3';
import { RecError } from '../core/errors.ts';
import type { Event, Item, Scenario, Split, User } from '../core/types.ts';
import type {
  AddOptions,
  AddResult,
  BlobStore,
  EventQuery,
  EventStore,
  ItemStore,
  ScanPage,
  ScenarioStore,
  Store,
  StoredEvent,
  StoreStats,
  UserStore,
} from './types.ts';

type DB = Database.Database;

/** Versioned migrations; `PRAGMA user_version` records how many have run. Append only. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE scenarios (id TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE items (
     id TEXT PRIMARY KEY, scenario TEXT NOT NULL, json TEXT NOT NULL,
     created_at INTEGER, available INTEGER NOT NULL DEFAULT 1);
   CREATE INDEX items_by_scenario ON items (scenario, id);
   CREATE TABLE users (id TEXT PRIMARY KEY, json TEXT) WITHOUT ROWID;
   CREATE TABLE events (
     seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, user TEXT NOT NULL, item TEXT NOT NULL,
     scenario TEXT NOT NULL, type TEXT NOT NULL, value REAL, text TEXT, ts INTEGER NOT NULL,
     context TEXT, split TEXT);
   CREATE INDEX events_by_user ON events (user, scenario, ts);
   CREATE INDEX events_by_item ON events (item, user);
   CREATE INDEX events_by_scenario_time ON events (scenario, ts);
   CREATE TABLE blobs (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;`,
  // every event insert paid for this index; only the analytics query events.popularity used it
  // (it now scans), not the engine
  `DROP INDEX IF EXISTS events_by_scenario_time;`,
  // each event insert dirtied a leaf of this index at a random place (items arrive in no order),
  // which cost as much as the rest of the insert; it served only erasing a social user's follow
  // events and events.coOccurrence, which now scan the table
  `DROP INDEX IF EXISTS events_by_item;`,
];

interface EventRow {
  seq: number;
  id: string;
  user: string;
  item: string;
  scenario: string;
  type: string;
  value: number | null;
  text: string | null;
  ts: number;
  context: string | null;
  split: string | null;
}

function rowToEvent(r: EventRow): StoredEvent {
  const e: StoredEvent = {
    seq: r.seq,
    id: r.id,
    user: r.user,
    item: r.item,
    scenario: r.scenario,
    type: r.type,
    ts: r.ts,
  };
  if (r.value !== null) e.value = r.value;
  if (r.text !== null) e.text = r.text;
  if (r.context !== null) e.context = JSON.parse(r.context);
  if (r.split !== null) e.split = r.split as Split;
  return e;
}

function placeholders(n: number): string {
  return new Array(n).fill('?').join(',');
}

function splitFilter(splits: readonly Split[] | undefined, params: unknown[]): string {
  if (!splits || splits.length === 0) return '';
  params.push(...splits);
  return ` AND split IN (${placeholders(splits.length)})`;
}

/** Opens (creating and migrating) a SQLite database with durable, privacy-safe settings. */
export function openSqlite(file: string): DB {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  // Checkpoint every 20,000 WAL pages (80 MB) instead of 1,000: event inserts dirty index pages at
  // random places, and a page rewritten by several commits before a checkpoint is copied back once.
  // With random users and ids: 10,900 events/s against 6,100 in one in-process measurement under
  // load (still synchronous=FULL); reads consult a larger WAL index, and close() truncates the WAL.
  db.pragma('wal_autocheckpoint = 20000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new RecError(
      'STORE_ERROR',
      `${file} has schema version ${version}, newer than this fusionrec (${MIGRATIONS.length})`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}

export class SqliteStore implements Store {
  readonly url: string;
  readonly db: DB;
  readonly scenarios: ScenarioStore;
  readonly items: ItemStore;
  readonly users: UserStore;
  readonly events: EventStore;
  readonly blobs: BlobStore;

  constructor(file: string) {
    this.url = `sqlite://${file}`;
    this.db = openSqlite(file);
    this.scenarios = new SqliteScenarios(this.db);
    this.items = new SqliteItems(this.db);
    this.users = new SqliteUsers(this.db);
    this.events = new SqliteEvents(this.db);
    this.blobs = new SqliteBlobs(this.db);
  }

  async getMeta(key: string): Promise<string | undefined> {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return r?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  async stats(): Promise<StoreStats> {
    const db = this.db;
    const scalar = (sql: string) => (db.prepare(sql).pluck().get() as number) ?? 0;
    const scenarioIds = new Set<string>([
      ...(db.prepare('SELECT id FROM scenarios').pluck().all() as string[]),
      ...(db.prepare('SELECT DISTINCT scenario FROM items').pluck().all() as string[]),
    ]);
    const evRows = db
      .prepare(
        'SELECT scenario, COUNT(*) AS events, COUNT(DISTINCT user) AS users FROM events GROUP BY scenario',
      )
      .all() as { scenario: string; events: number; users: number }[];
    const itemRows = db.prepare('SELECT scenario, COUNT(*) AS n FROM items GROUP BY scenario').all() as {
      scenario: string;
      n: number;
    }[];
    for (const r of evRows) scenarioIds.add(r.scenario);
    const scenarios = [...scenarioIds].sort().map((scenario) => ({
      scenario,
      items: itemRows.find((r) => r.scenario === scenario)?.n ?? 0,
      users: evRows.find((r) => r.scenario === scenario)?.users ?? 0,
      events: evRows.find((r) => r.scenario === scenario)?.events ?? 0,
    }));
    const byType = db.prepare('SELECT type, COUNT(*) AS n FROM events GROUP BY type ORDER BY type').all() as {
      type: string;
      n: number;
    }[];
    const bySplit = db
      .prepare(
        "SELECT COALESCE(split, 'none') AS split, COUNT(*) AS n FROM events GROUP BY split ORDER BY split",
      )
      .all() as { split: string; n: number }[];
    return {
      items: scalar('SELECT COUNT(*) FROM items'),
      users: scalar('SELECT COUNT(*) FROM users'),
      events: scalar('SELECT COUNT(*) FROM events'),
      scenarios,
      multiScenarioUsers: scalar(
        'SELECT COUNT(*) FROM (SELECT user FROM events GROUP BY user HAVING COUNT(DISTINCT scenario) > 1)',
      ),
      multiScenarioUsersBySplit: Object.fromEntries(
        (
          db
            .prepare(
              `SELECT split, COUNT(*) AS n FROM (
                 SELECT COALESCE(split, 'none') AS split FROM events
                 GROUP BY user, split HAVING COUNT(DISTINCT scenario) > 1)
               GROUP BY split ORDER BY split`,
            )
            .all() as { split: string; n: number }[]
        ).map((r) => [r.split, r.n]),
      ),
      eventsByType: Object.fromEntries(byType.map((r) => [r.type, r.n])),
      eventsBySplit: Object.fromEntries(bySplit.map((r) => [r.split, r.n])),
    };
  }

  async deleteUser(user: string): Promise<number> {
    const db = this.db;
    return db.transaction(() => {
      let n = db.prepare('DELETE FROM events WHERE user = ?').run(user).changes;
      n += db.prepare('DELETE FROM users WHERE id = ?').run(user).changes;
      n += db
        .prepare('DELETE FROM blobs WHERE key = ? OR (key >= ? AND key < ?)')
        .run(user, `${user}:`, `${user};`).changes;
      // In social scenarios a user others can follow is also the item `user:<id>`: erase it, the
      // events pointing at it (who followed them) and blobs keyed by it (its vector).
      const asItem = `user:${user}`;
      n += db.prepare('DELETE FROM events WHERE item = ?').run(asItem).changes;
      n += db.prepare('DELETE FROM items WHERE id = ?').run(asItem).changes;
      n += db.prepare('DELETE FROM blobs WHERE key = ?').run(asItem).changes;
      // secure_delete zeroes freed cells, but b-tree rebalancing can leave stale copies of keys
      // (user ids in index pages); the next checkpoint rewrites the file to remove them.
      if (n > 0)
        db.prepare(
          "INSERT INTO meta (key, value) VALUES ('privacy:vacuum', '1') ON CONFLICT (key) DO UPDATE SET value = '1'",
        ).run();
      return n;
    })();
  }

  async checkpoint(): Promise<void> {
    const db = this.db;
    const pending = db.prepare("SELECT 1 FROM meta WHERE key = 'privacy:vacuum'").pluck().get() !== undefined;
    if (pending) {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.exec('VACUUM');
      db.prepare("DELETE FROM meta WHERE key = 'privacy:vacuum'").run();
    }
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (pending && r?.busy)
      throw new RecError(
        'STORE_ERROR',
        'checkpoint blocked by another reader; erased data may remain in the WAL',
        {
          details: { busy: r.busy },
        },
      );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

class SqliteScenarios implements ScenarioStore {
  constructor(private readonly db: DB) {}
  async upsert(scenarios: readonly Scenario[]): Promise<void> {
    const st = this.db.prepare(
      'INSERT INTO scenarios (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json',
    );
    this.db.transaction(() => {
      for (const s of scenarios) st.run(s.id, JSON.stringify(s));
    })();
  }
  async list(): Promise<Scenario[]> {
    return (this.db.prepare('SELECT json FROM scenarios ORDER BY id').pluck().all() as string[]).map((j) =>
      JSON.parse(j),
    );
  }
  async get(id: string): Promise<Scenario | undefined> {
    const j = this.db.prepare('SELECT json FROM scenarios WHERE id = ?').pluck().get(id) as
      | string
      | undefined;
    return j === undefined ? undefined : JSON.parse(j);
  }
}

/** ids per `IN (...)` lookup (SQLite allows 32,766 parameters) */
const IN_CHUNK = 500;

class SqliteItems implements ItemStore {
  private readonly upsertStmt;
  private readonly getStmt;
  private scenariosStmt: Database.Statement | undefined;
  private jsonStmt: Database.Statement | undefined;
  constructor(private readonly db: DB) {
    this.upsertStmt = db.prepare(
      `INSERT INTO items (id, scenario, json, created_at, available) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET scenario = excluded.scenario, json = excluded.json,
         created_at = excluded.created_at, available = excluded.available`,
    );
    this.getStmt = db.prepare('SELECT json FROM items WHERE id = ?').pluck();
  }
  async upsert(items: readonly Item[]): Promise<void> {
    this.db.transaction(() => {
      for (const it of items) {
        this.upsertStmt.run(
          it.id,
          it.scenario,
          JSON.stringify(it),
          it.createdAt ?? null,
          it.available === false ? 0 : 1,
        );
      }
    })();
  }
  async get(id: string): Promise<Item | undefined> {
    const j = this.getStmt.get(id) as string | undefined;
    return j === undefined ? undefined : JSON.parse(j);
  }
  /**
   * Rows of `ids` in chunks of one fixed size, the last padded with NULL (which matches no id):
   * one statement prepared once, where a statement per batch length cost more than the lookup
   * (an events batch of 1,000 asks for ~1,000 distinct items)
   */
  private inChunks<T>(stmt: Database.Statement, ids: readonly string[]): T[] {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk: (string | null)[] = ids.slice(i, i + IN_CHUNK);
      while (chunk.length < IN_CHUNK) chunk.push(null);
      for (const r of stmt.all(...chunk) as T[]) out.push(r);
    }
    return out;
  }

  async scenariosOf(ids: readonly string[]): Promise<Map<string, string>> {
    this.scenariosStmt ??= this.db
      .prepare(`SELECT id, scenario FROM items WHERE id IN (${placeholders(IN_CHUNK)})`)
      .raw();
    return new Map(this.inChunks<[string, string]>(this.scenariosStmt, ids));
  }

  async getMany(ids: readonly string[]): Promise<Item[]> {
    const found = new Map<string, Item>();
    this.jsonStmt ??= this.db
      .prepare(`SELECT json FROM items WHERE id IN (${placeholders(IN_CHUNK)})`)
      .pluck();
    for (const j of this.inChunks<string>(this.jsonStmt, ids)) {
      const it = JSON.parse(j) as Item;
      found.set(it.id, it);
    }
    return ids.map((id) => found.get(id)).filter((x): x is Item => x !== undefined);
  }
  async delete(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM items WHERE id = ?').run(id).changes > 0;
  }
  async list(opts: { scenario?: string; afterId?: string; limit?: number } = {}): Promise<Item[]> {
    const params: unknown[] = [];
    let sql = 'SELECT json FROM items WHERE 1=1';
    if (opts.scenario !== undefined) {
      sql += ' AND scenario = ?';
      params.push(opts.scenario);
    }
    if (opts.afterId !== undefined) {
      sql += ' AND id > ?';
      params.push(opts.afterId);
    }
    sql += ' ORDER BY id LIMIT ?';
    params.push(opts.limit ?? -1);
    return (
      this.db
        .prepare(sql)
        .pluck()
        .all(...params) as string[]
    ).map((j) => JSON.parse(j));
  }
  async count(scenario?: string): Promise<number> {
    return scenario === undefined
      ? (this.db.prepare('SELECT COUNT(*) FROM items').pluck().get() as number)
      : (this.db.prepare('SELECT COUNT(*) FROM items WHERE scenario = ?').pluck().get(scenario) as number);
  }
}

class SqliteUsers implements UserStore {
  constructor(private readonly db: DB) {}
  async upsert(users: readonly User[]): Promise<void> {
    const st = this.db.prepare(
      'INSERT INTO users (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json',
    );
    this.db.transaction(() => {
      for (const u of users) st.run(u.id, u.attributes ? JSON.stringify(u.attributes) : null);
    })();
  }
  async get(id: string): Promise<User | undefined> {
    const r = this.db.prepare('SELECT id, json FROM users WHERE id = ?').get(id) as
      | { id: string; json: string | null }
      | undefined;
    if (!r) return undefined;
    return r.json ? { id: r.id, attributes: JSON.parse(r.json) } : { id: r.id };
  }
  async count(): Promise<number> {
    return this.db.prepare('SELECT COUNT(*) FROM users').pluck().get() as number;
  }
  async list(opts: { afterId?: string; limit?: number } = {}): Promise<User[]> {
    const rows = this.db
      .prepare('SELECT id, json FROM users WHERE id > ? ORDER BY id LIMIT ?')
      .all(opts.afterId ?? '', opts.limit ?? -1) as { id: string; json: string | null }[];
    return rows.map((r) => (r.json ? { id: r.id, attributes: JSON.parse(r.json) } : { id: r.id }));
  }
}

class SqliteEvents implements EventStore {
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
    return this.addSync(events, opts);
  }

  /** Synchronous insert for callers that batch inside their own transaction (importers). */
  addSync(events: readonly Event[], opts: AddOptions = {}): AddResult {
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
    return (this.statement(sql).all(...params) as EventRow[]).map(rowToEvent);
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
    const events = (this.db.prepare(sql).all(...params) as EventRow[]).map(rowToEvent);
    return { events, next: events.length === opts.limit ? events[events.length - 1]!.seq : undefined };
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

  async coOccurrence(
    item: string,
    opts: { scenario?: string; limit?: number } = {},
  ): Promise<{ item: string; users: number }[]> {
    const params: unknown[] = [item, item];
    let sql = `SELECT e2.item AS item, COUNT(DISTINCT e2.user) AS users
      FROM (SELECT DISTINCT user FROM events WHERE item = ?) u
      JOIN events e2 ON e2.user = u.user
      WHERE e2.item != ?`;
    if (opts.scenario !== undefined) {
      sql += ' AND e2.scenario = ?';
      params.push(opts.scenario);
    }
    sql += ' GROUP BY e2.item ORDER BY users DESC, e2.item LIMIT ?';
    params.push(opts.limit ?? 100);
    return this.db.prepare(sql).all(...params) as { item: string; users: number }[];
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
}

class SqliteBlobs implements BlobStore {
  constructor(private readonly db: DB) {}
  async get(ns: string, key: string): Promise<Uint8Array | undefined> {
    const v = this.db.prepare('SELECT value FROM blobs WHERE ns = ? AND key = ?').pluck().get(ns, key) as
      | Buffer
      | undefined;
    return v === undefined ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  async getMany(ns: string, keys: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT key, value FROM blobs WHERE ns = ? AND key IN (${placeholders(chunk.length)})`)
        .all(ns, ...chunk) as { key: string; value: Buffer }[];
      for (const r of rows)
        out.set(r.key, new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength));
    }
    return out;
  }
  async put(ns: string, entries: readonly { key: string; value: Uint8Array }[]): Promise<void> {
    const st = this.db.prepare(
      'INSERT INTO blobs (ns, key, value) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value',
    );
    this.db.transaction(() => {
      for (const e of entries)
        st.run(ns, e.key, Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength));
    })();
  }
  async delete(ns: string, keys: readonly string[]): Promise<void> {
    const st = this.db.prepare('DELETE FROM blobs WHERE ns = ? AND key = ?');
    this.db.transaction(() => {
      for (const k of keys) st.run(ns, k);
    })();
  }
  async keys(ns: string): Promise<string[]> {
    return this.db.prepare('SELECT key FROM blobs WHERE ns = ? ORDER BY key').pluck().all(ns) as string[];
  }
  async count(ns: string): Promise<number> {
    return this.db.prepare('SELECT COUNT(*) FROM blobs WHERE ns = ?').pluck().get(ns) as number;
  }
}
