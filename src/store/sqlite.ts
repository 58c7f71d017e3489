/**
 * The embedded backend: one SQLite file holds both the data store and the derived store, so
 * erasing a user from both is one transaction. Each concern lives in `sqlite/`.
 */
import type {
  EventStore,
  ImpressionStore,
  ItemStore,
  ScenarioStore,
  StoreStats,
  UserStore,
} from './data/types.ts';
import type { BlobStore } from './derived/types.ts';
import { SqliteBlobs } from './sqlite/blobs.ts';
import { SqliteEvents } from './sqlite/events.ts';
import { SqliteImpressions } from './sqlite/impressions.ts';
import { SqliteItems } from './sqlite/items.ts';
import { type DB, openSqlite } from './sqlite/open.ts';
import { checkpoint, eraseUserBlobs, eraseUserRows, markVacuum } from './sqlite/privacy.ts';
import { SqliteScenarios } from './sqlite/scenarios.ts';
import { storeStats } from './sqlite/stats.ts';
import { SqliteUsers } from './sqlite/users.ts';
import type { Store } from './types.ts';

export class SqliteStore implements Store {
  readonly url: string;
  readonly db: DB;
  readonly scenarios: ScenarioStore;
  readonly items: ItemStore;
  readonly users: UserStore;
  readonly events: EventStore;
  readonly impressions: ImpressionStore;
  readonly blobs: BlobStore;

  constructor(file: string) {
    this.url = `sqlite://${file}`;
    this.db = openSqlite(file);
    this.scenarios = new SqliteScenarios(this.db);
    this.items = new SqliteItems(this.db);
    this.users = new SqliteUsers(this.db);
    this.events = new SqliteEvents(this.db);
    this.impressions = new SqliteImpressions(this.db);
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
    return storeStats(this.db);
  }

  async deleteUser(user: string): Promise<number> {
    const db = this.db;
    return db.transaction(() => {
      const n = eraseUserRows(db, user) + eraseUserBlobs(db, user);
      if (n > 0) markVacuum(db);
      return n;
    })();
  }

  async checkpoint(): Promise<void> {
    checkpoint(this.db);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
