/**
 * Erasing a user from the SQLite file: the rows of both stores, then (at the next checkpoint) the
 * freed pages, so no copy of the user's data survives in the database or its WAL. The statements
 * run inside the caller's transaction.
 */
import { RecError } from '../../core/errors.ts';
import type { DB } from './open.ts';

/** events, user row, the user as followable item `user:<id>` with the events pointing at it, impressions and attributions */
export function eraseUserRows(db: DB, user: string): number {
  let n = db.prepare('DELETE FROM events WHERE user = ?').run(user).changes;
  n += db.prepare('DELETE FROM users WHERE id = ?').run(user).changes;
  // In social scenarios a user others can follow is also the item `user:<id>`: erase it and the
  // events pointing at it (who followed them).
  const asItem = `user:${user}`;
  n += db.prepare('DELETE FROM events WHERE item = ?').run(asItem).changes;
  n += db.prepare('DELETE FROM items WHERE id = ?').run(asItem).changes;
  // what was shown to the user and which of their events were credited to it
  n += db.prepare('DELETE FROM attributions WHERE user = ?').run(user).changes;
  n += db.prepare('DELETE FROM impressions WHERE user = ?').run(user).changes;
  return n;
}

/** blobs keyed by the user id, by `${user}:...`, or by the user as an item (its vector) */
export function eraseUserBlobs(db: DB, user: string): number {
  let n = db
    .prepare('DELETE FROM blobs WHERE key = ? OR (key >= ? AND key < ?)')
    .run(user, `${user}:`, `${user};`).changes;
  n += db.prepare('DELETE FROM blobs WHERE key = ?').run(`user:${user}`).changes;
  return n;
}

/**
 * secure_delete zeroes freed cells, but b-tree rebalancing can leave stale copies of keys (user ids
 * in index pages); the flag makes the next checkpoint rewrite the file to remove them.
 */
export function markVacuum(db: DB): void {
  db.prepare(
    "INSERT INTO meta (key, value) VALUES ('privacy:vacuum', '1') ON CONFLICT (key) DO UPDATE SET value = '1'",
  ).run();
}

export function checkpoint(db: DB): void {
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
