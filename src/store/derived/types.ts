/**
 * The derived store: everything that can be recomputed from the data store (embedding cache, item
 * vectors, profiles, trained models), as keyed blobs in namespaces. Every backend passes the suite
 * in `derived/contract.ts`.
 */

export interface BlobStore {
  get(namespace: string, key: string): Promise<Uint8Array | undefined>;
  getMany(namespace: string, keys: readonly string[]): Promise<Map<string, Uint8Array>>;
  put(namespace: string, entries: readonly { key: string; value: Uint8Array }[]): Promise<void>;
  delete(namespace: string, keys: readonly string[]): Promise<void>;
  keys(namespace: string): Promise<string[]>;
  count(namespace: string): Promise<number>;
}

export interface DerivedStore {
  /** keys may hold user ids (profiles), which deleteUser erases */
  readonly blobs: BlobStore;
  /**
   * Erases, in every namespace, each blob whose key is the user id, starts with `${user}:`, or is
   * the user as a followable item `user:<id>`. Returns the number removed.
   */
  deleteUser(user: string): Promise<number>;
  close(): Promise<void>;
}
