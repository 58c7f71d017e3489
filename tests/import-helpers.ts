/** Shared by the import, crash and privacy tests: temp stores, the shared data, row hashes. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteStore } from '../src/store/sqlite.ts';

export const ROOT = join(import.meta.dirname, '..');
export const DATA = join(ROOT, '..', 'shared', 'data');
export const noData = existsSync(join(DATA, 'food-kitchen', 'items.tsv'))
  ? false
  : `shared datasets not found at ${DATA}`;

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `fusionrec-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A digest of every row of every table, in a fixed order: equal digests mean equal contents. */
export function contentHash(store: SqliteStore): string {
  const h = createHash('sha256');
  const tables = store.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  for (const t of tables) {
    h.update(`\0table ${t}\0`);
    for (const row of store.db.prepare(`SELECT * FROM "${t}" ORDER BY 1, 2`).iterate())
      h.update(JSON.stringify(row, (_, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
  }
  return h.digest('hex');
}
