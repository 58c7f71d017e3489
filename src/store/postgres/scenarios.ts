import type pg from 'pg';
import type { Scenario } from '../../core/types.ts';
import type { ScenarioStore } from '../data/types.ts';
import { lastByKey } from './sql.ts';

export class PgScenarios implements ScenarioStore {
  constructor(private readonly pool: pg.Pool) {}
  async upsert(scenarios: readonly Scenario[]): Promise<void> {
    const rows = lastByKey(scenarios, (s) => s.id);
    if (rows.length === 0) return;
    await this.pool.query(
      `INSERT INTO scenarios (id, json) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (id) DO UPDATE SET json = excluded.json`,
      [rows.map((s) => s.id), rows.map((s) => JSON.stringify(s))],
    );
  }
  async list(): Promise<Scenario[]> {
    const { rows } = await this.pool.query<{ json: string }>('SELECT json FROM scenarios ORDER BY id');
    return rows.map((r) => JSON.parse(r.json));
  }
}
