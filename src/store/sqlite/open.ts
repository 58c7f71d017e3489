import Database from 'better-sqlite3';
import { RecError } from '../../core/errors.ts';

export type DB = Database.Database;

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
  // events (which now scans the table) and a co-occurrence query no longer in the store
  `DROP INDEX IF EXISTS events_by_item;`,
  // the feedback log: served answers and the events credited to them (src/engine/feedback.ts)
  `CREATE TABLE impressions (
     seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, user TEXT NOT NULL, scenario TEXT NOT NULL,
     ts INTEGER NOT NULL, model_version TEXT NOT NULL, experiment TEXT, variant TEXT, json TEXT NOT NULL);
   CREATE INDEX impressions_by_user ON impressions (user, ts);
   CREATE INDEX impressions_by_experiment ON impressions (experiment, seq) WHERE experiment IS NOT NULL;
   CREATE TABLE attributions (
     event TEXT PRIMARY KEY, impression TEXT NOT NULL, user TEXT NOT NULL, item TEXT NOT NULL,
     type TEXT NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX attributions_by_impression ON attributions (impression);
   CREATE INDEX attributions_by_user ON attributions (user);`,
];

/**
 * Opens (creating and migrating) a SQLite database with durable, privacy-safe settings. A file that
 * is not a database, or cannot be opened, is a STORE_ERROR naming it (SQLite's own error is the cause).
 */
export function openSqlite(file: string): DB {
  let db: DB | undefined;
  try {
    db = new Database(file);
    // the first statement reads the header: a text file fails here, not at `new Database`
    db.pragma('journal_mode = WAL');
  } catch (cause) {
    db?.close();
    const code = (cause as { code?: string }).code;
    const why =
      code === 'SQLITE_NOTADB'
        ? 'is not a SQLite database'
        : code === 'SQLITE_CANTOPEN'
          ? 'cannot be opened (a missing folder, or no permission)'
          : `cannot be opened: ${(cause as Error).message}`;
    throw new RecError('STORE_ERROR', `${file} ${why}`, { field: 'store.url', cause });
  }
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  // Checkpoint every 20,000 WAL pages (80 MB) instead of 1,000: event inserts dirty index pages at
  // random places, and a page rewritten by several commits before a checkpoint is copied back once;
  // reads consult a larger WAL index, and close() truncates the WAL.
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
