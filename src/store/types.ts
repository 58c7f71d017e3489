/**
 * The store the engine receives: one data store (source of truth) and one derived store
 * (recomputable), as Gorse splits `storage/data` from `storage/cache`. Callers reach both through
 * one object (`store.items`, `store.events`, `store.blobs`); a backend may serve both from one
 * database, as SQLite does, or from two.
 */
import type { DataStore } from './data/types.ts';
import type { DerivedStore } from './derived/types.ts';

// what callers outside the store import; backends import the rest from data/ and derived/
export type { StoredEvent, StoreStats } from './data/types.ts';
export type { BlobStore } from './derived/types.ts';

export interface Store extends DataStore, DerivedStore {
  readonly url: string;
  /**
   * Erases every trace of a user from both stores (what `DataStore.deleteUser` and
   * `DerivedStore.deleteUser` each erase), in one transaction where the backend can. Returns the
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
