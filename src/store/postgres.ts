/**
 * The networked backend: one PostgreSQL database holds both the data store and the derived store
 * (blobs as bytea), so every node reads the same data and models and nothing from another node's
 * disk, and erasing a user from both is one transaction. Each concern lives in `postgres/`.
 */
import type pg from 'pg';
import type {
  EventStore,
  ImpressionStore,
  ItemStore,
  ScenarioStore,
  StoreStats,
  UserStore,
} from './data/types.ts';
import type { BlobStore } from './derived/types.ts';
import { PgBlobs } from './postgres/blobs.ts';
import { PgEvents } from './postgres/events.ts';
import { PgImpressions } from './postgres/impressions.ts';
import { PgItems } from './postgres/items.ts';
import { describeUrl, openPool } from './postgres/open.ts';
import { checkpoint, eraseUser, vacuum } from './postgres/privacy.ts';
import { PgScenarios } from './postgres/scenarios.ts';
import { inTransaction } from './postgres/sql.ts';
import { storeStats } from './postgres/stats.ts';
import { PgUsers } from './postgres/users.ts';
import type { Store } from './types.ts';

export class PostgresStore implements Store {
  /** the URL without its password */
  readonly url: string;
  readonly scenarios: ScenarioStore;
  readonly items: ItemStore;
  readonly users: UserStore;
  readonly events: EventStore;
  readonly impressions: ImpressionStore;
  readonly blobs: BlobStore;
  private closed = false;

  private constructor(
    url: string,
    readonly pool: pg.Pool,
  ) {
    this.url = describeUrl(url);
    this.scenarios = new PgScenarios(pool);
    this.items = new PgItems(pool);
    this.users = new PgUsers(pool);
    this.events = new PgEvents(pool);
    this.impressions = new PgImpressions(pool);
    this.blobs = new PgBlobs(pool);
  }

  /** connects, migrates the schema to the latest version, and returns the store */
  static async open(url: string): Promise<PostgresStore> {
    return new PostgresStore(url, await openPool(url));
  }

  async getMeta(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  async stats(): Promise<StoreStats> {
    return storeStats(this.pool);
  }

  async deleteUser(user: string): Promise<number> {
    const { n, touched } = await inTransaction(this.pool, (c) => eraseUser(c, user));
    await vacuum(this.pool, touched);
    return n;
  }

  async checkpoint(): Promise<void> {
    await checkpoint(this.pool);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
