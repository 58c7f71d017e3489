import type pg from 'pg';
import type { Item } from '../../core/types.ts';
import type { ItemStore, PageOptions } from '../data/types.ts';
import { keysetPages } from '../pages.ts';
import { lastByKey, Params } from './sql.ts';

export class PgItems implements ItemStore {
  constructor(private readonly pool: pg.Pool) {}
  async upsert(items: readonly Item[]): Promise<void> {
    const rows = lastByKey(items, (it) => it.id);
    if (rows.length === 0) return;
    // one statement is one transaction: all rows or none
    await this.pool.query(
      `INSERT INTO items (id, scenario, json, created_at, available)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::bool[])
       ON CONFLICT (id) DO UPDATE SET scenario = excluded.scenario, json = excluded.json,
         created_at = excluded.created_at, available = excluded.available`,
      [
        rows.map((it) => it.id),
        rows.map((it) => it.scenario),
        rows.map((it) => JSON.stringify(it)),
        rows.map((it) => it.createdAt ?? null),
        rows.map((it) => it.available !== false),
      ],
    );
  }
  async get(id: string): Promise<Item | undefined> {
    const { rows } = await this.pool.query<{ json: string }>('SELECT json FROM items WHERE id = $1', [id]);
    return rows[0] && JSON.parse(rows[0].json);
  }
  async scenariosOf(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<{ id: string; scenario: string }>(
      'SELECT id, scenario FROM items WHERE id = ANY($1::text[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.scenario]));
  }
  async getMany(ids: readonly string[]): Promise<Item[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<{ json: string }>(
      'SELECT json FROM items WHERE id = ANY($1::text[])',
      [ids],
    );
    const found = new Map<string, Item>();
    for (const r of rows) {
      const it = JSON.parse(r.json) as Item;
      found.set(it.id, it);
    }
    return ids.map((id) => found.get(id)).filter((x): x is Item => x !== undefined);
  }
  async delete(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM items WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }
  async list(opts: { scenario?: string; afterId?: string; limit?: number } = {}): Promise<Item[]> {
    const p = new Params();
    let sql = 'SELECT json FROM items WHERE true';
    if (opts.scenario !== undefined) sql += ` AND scenario = ${p.add(opts.scenario)}`;
    if (opts.afterId !== undefined) sql += ` AND id > ${p.add(opts.afterId)}`;
    sql += ` ORDER BY id LIMIT ${p.add(opts.limit ?? null)}`;
    const { rows } = await this.pool.query<{ json: string }>(sql, p.values);
    return rows.map((r) => JSON.parse(r.json));
  }
  pages(opts: PageOptions & { scenario?: string }): AsyncIterable<Item[]> {
    const { scenario } = opts;
    return keysetPages(
      opts,
      (afterId: string | undefined, limit) =>
        this.list({
          ...(scenario !== undefined ? { scenario } : {}),
          ...(afterId !== undefined ? { afterId } : {}),
          limit,
        }),
      (it) => it.id,
    );
  }
  async count(scenario?: string): Promise<number> {
    const { rows } =
      scenario === undefined
        ? await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM items')
        : await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM items WHERE scenario = $1', [
            scenario,
          ]);
    return rows[0]!.n;
  }
}
