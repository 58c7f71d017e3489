import type Database from 'better-sqlite3';
import type { Item } from '../../core/types.ts';
import type { ItemStore, PageOptions } from '../data/types.ts';
import { keysetPages } from '../pages.ts';
import type { DB } from './open.ts';
import { placeholders } from './sql.ts';

/** ids per `IN (...)` lookup (SQLite allows 32,766 parameters) */
const IN_CHUNK = 500;

export class SqliteItems implements ItemStore {
  private readonly upsertStmt;
  private readonly getStmt;
  private scenariosStmt: Database.Statement | undefined;
  private jsonStmt: Database.Statement | undefined;
  constructor(private readonly db: DB) {
    this.upsertStmt = db.prepare(
      `INSERT INTO items (id, scenario, json, created_at, available) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET scenario = excluded.scenario, json = excluded.json,
         created_at = excluded.created_at, available = excluded.available`,
    );
    this.getStmt = db.prepare('SELECT json FROM items WHERE id = ?').pluck();
  }
  async upsert(items: readonly Item[]): Promise<void> {
    this.db.transaction(() => {
      for (const it of items) {
        this.upsertStmt.run(
          it.id,
          it.scenario,
          JSON.stringify(it),
          it.createdAt ?? null,
          it.available === false ? 0 : 1,
        );
      }
    })();
  }
  async get(id: string): Promise<Item | undefined> {
    const j = this.getStmt.get(id) as string | undefined;
    return j === undefined ? undefined : JSON.parse(j);
  }
  /**
   * Rows of `ids` in chunks of one fixed size, the last padded with NULL (which matches no id):
   * one statement prepared once, where a statement per batch length cost more than the lookup
   * (an events batch of 1,000 asks for ~1,000 distinct items)
   */
  private inChunks<T>(stmt: Database.Statement, ids: readonly string[]): T[] {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk: (string | null)[] = ids.slice(i, i + IN_CHUNK);
      while (chunk.length < IN_CHUNK) chunk.push(null);
      for (const r of stmt.all(...chunk) as T[]) out.push(r);
    }
    return out;
  }

  async scenariosOf(ids: readonly string[]): Promise<Map<string, string>> {
    this.scenariosStmt ??= this.db
      .prepare(`SELECT id, scenario FROM items WHERE id IN (${placeholders(IN_CHUNK)})`)
      .raw();
    return new Map(this.inChunks<[string, string]>(this.scenariosStmt, ids));
  }

  async getMany(ids: readonly string[]): Promise<Item[]> {
    const found = new Map<string, Item>();
    this.jsonStmt ??= this.db
      .prepare(`SELECT json FROM items WHERE id IN (${placeholders(IN_CHUNK)})`)
      .pluck();
    for (const j of this.inChunks<string>(this.jsonStmt, ids)) {
      const it = JSON.parse(j) as Item;
      found.set(it.id, it);
    }
    return ids.map((id) => found.get(id)).filter((x): x is Item => x !== undefined);
  }
  async delete(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM items WHERE id = ?').run(id).changes > 0;
  }
  async list(opts: { scenario?: string; afterId?: string; limit?: number } = {}): Promise<Item[]> {
    const params: unknown[] = [];
    let sql = 'SELECT json FROM items WHERE 1=1';
    if (opts.scenario !== undefined) {
      sql += ' AND scenario = ?';
      params.push(opts.scenario);
    }
    if (opts.afterId !== undefined) {
      sql += ' AND id > ?';
      params.push(opts.afterId);
    }
    sql += ' ORDER BY id LIMIT ?';
    params.push(opts.limit ?? -1);
    return (
      this.db
        .prepare(sql)
        .pluck()
        .all(...params) as string[]
    ).map((j) => JSON.parse(j));
  }
  pages(opts: PageOptions & { scenario?: string }): AsyncIterable<Item[]> {
    return keysetPages(
      opts,
      (afterId: string | undefined, limit) => this.list({ scenario: opts.scenario, afterId, limit }),
      (it) => it.id,
    );
  }
  async count(scenario?: string): Promise<number> {
    return scenario === undefined
      ? (this.db.prepare('SELECT COUNT(*) FROM items').pluck().get() as number)
      : (this.db.prepare('SELECT COUNT(*) FROM items WHERE scenario = ?').pluck().get(scenario) as number);
  }
}
