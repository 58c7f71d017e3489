import type pg from 'pg';
import type { User } from '../../core/types.ts';
import type { PageOptions, UserStore } from '../data/types.ts';
import { keysetPages } from '../pages.ts';
import { lastByKey } from './sql.ts';

type Row = { id: string; json: string | null };
const toUser = (r: Row): User => (r.json ? { id: r.id, attributes: JSON.parse(r.json) } : { id: r.id });

export class PgUsers implements UserStore {
  constructor(private readonly pool: pg.Pool) {}
  async upsert(users: readonly User[]): Promise<void> {
    const rows = lastByKey(users, (u) => u.id);
    if (rows.length === 0) return;
    // one statement is one transaction: all rows or none
    await this.pool.query(
      `INSERT INTO users (id, json) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (id) DO UPDATE SET json = excluded.json`,
      [rows.map((u) => u.id), rows.map((u) => (u.attributes ? JSON.stringify(u.attributes) : null))],
    );
  }
  async get(id: string): Promise<User | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT id, json FROM users WHERE id = $1', [id]);
    return rows[0] && toUser(rows[0]);
  }
  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM users');
    return rows[0]!.n;
  }
  async list(opts: { afterId?: string; limit?: number } = {}): Promise<User[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT id, json FROM users WHERE id > $1 ORDER BY id LIMIT $2',
      [opts.afterId ?? '', opts.limit ?? null],
    );
    return rows.map(toUser);
  }
  pages(opts: PageOptions): AsyncIterable<User[]> {
    return keysetPages(
      opts,
      (afterId: string | undefined, limit) =>
        this.list({ ...(afterId !== undefined ? { afterId } : {}), limit }),
      (u) => u.id,
    );
  }
}
