import { RecError } from '../core/errors.ts';
import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

/** Picks the backend by URL prefix, as Gorse does: `sqlite://file.db` or a bare path, `postgres://user:password@host:5432/database`; other prefixes are refused by name. */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite://')) return new SqliteStore(url.slice('sqlite://'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return PostgresStore.open(url);
  if (/^[a-z]+:\/\//.test(url))
    throw new RecError('INVALID_CONFIG', `unknown store URL scheme in "${url}"`, { field: 'store.url' });
  return new SqliteStore(url);
}
