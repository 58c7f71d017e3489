/**
 * Erasing a user from PostgreSQL: the rows of both stores in one transaction, then VACUUM of the
 * tables that lost rows (dead tuples and their index entries are removed, so no query, replica
 * catch-up or page-level tool finds them), and at the next `checkpoint()` VACUUM FULL of those
 * tables, which rewrites them into new files, as SQLite's VACUUM does after an erasure: plain
 * VACUUM frees a page's space but leaves the old bytes in it until something overwrites them.
 */
import type pg from 'pg';

const PENDING_KEY = 'privacy:vacuum';
type Table = 'events' | 'users' | 'items' | 'blobs' | 'impressions' | 'attributions';

/**
 * events, user row, the user as followable item `user:<id>` with the events pointing at it, the
 * user's impressions and attributions, and
 * blobs keyed by the user id, by `${user}:...`, or by the user as an item. Returns the rows removed
 * and the tables that lost any.
 */
export async function eraseUser(c: pg.PoolClient, user: string): Promise<{ n: number; touched: Table[] }> {
  const asItem = `user:${user}`;
  const steps: [Table, string, unknown[]][] = [
    ['events', 'DELETE FROM events WHERE user_id = $1', [user]],
    ['users', 'DELETE FROM users WHERE id = $1', [user]],
    ['events', 'DELETE FROM events WHERE item = $1', [asItem]],
    ['items', 'DELETE FROM items WHERE id = $1', [asItem]],
    // what was shown to the user and which of their events were credited to it
    ['attributions', 'DELETE FROM attributions WHERE user_id = $1', [user]],
    ['impressions', 'DELETE FROM impressions WHERE user_id = $1', [user]],
    // the range is every key starting with `${user}:` (';' follows ':'; keys compare as bytes)
    [
      'blobs',
      'DELETE FROM blobs WHERE key = $1 OR key = $2 OR (key >= $3 AND key < $4)',
      [user, asItem, `${user}:`, `${user};`],
    ],
  ];
  let n = 0;
  const touched = new Set<Table>();
  for (const [table, sql, params] of steps) {
    const removed = (await c.query(sql, params)).rowCount ?? 0;
    n += removed;
    if (removed > 0) touched.add(table);
  }
  if (touched.size > 0) {
    // remembered in the same transaction, so a crash before checkpoint() still rewrites them later
    await c.query(
      `INSERT INTO meta (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = (
         SELECT string_agg(DISTINCT t, ',' ORDER BY t)
         FROM unnest(string_to_array(meta.value || ',' || excluded.value, ',')) AS t)`,
      [PENDING_KEY, [...touched].join(',')],
    );
  }
  return { n, touched: [...touched].sort() };
}

/** VACUUM cannot run in a transaction: one statement per table on a pooled connection */
export async function vacuum(pool: pg.Pool, tables: readonly Table[], full = false): Promise<void> {
  // table names come from the fixed list above, never from input
  for (const t of tables) await pool.query(`VACUUM ${full ? 'FULL ' : ''}${t}`);
}

const isTable = (t: string): t is Table =>
  ['events', 'users', 'items', 'blobs', 'impressions', 'attributions'].includes(t);

/** rewrites the tables erasures touched since the last checkpoint, then forgets them */
export async function checkpoint(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [
    PENDING_KEY,
  ]);
  if (!rows[0]) return;
  await vacuum(pool, rows[0].value.split(',').filter(isTable), true);
  // an erasure since the read changed the list: it stays for the next checkpoint
  await pool.query('DELETE FROM meta WHERE key = $1 AND value = $2', [PENDING_KEY, rows[0].value]);
}
