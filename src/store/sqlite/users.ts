import type { User } from '../../core/types.ts';
import type { PageOptions, UserStore } from '../data/types.ts';
import { keysetPages } from '../pages.ts';
import type { DB } from './open.ts';

export class SqliteUsers implements UserStore {
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
  pages(opts: PageOptions): AsyncIterable<User[]> {
    return keysetPages(
      opts,
      (afterId: string | undefined, limit) => this.list({ afterId, limit }),
      (u) => u.id,
    );
  }
}
