import type { Scenario } from '../../core/types.ts';
import type { ScenarioStore } from '../data/types.ts';
import type { DB } from './open.ts';

export class SqliteScenarios implements ScenarioStore {
  constructor(private readonly db: DB) {}
  async upsert(scenarios: readonly Scenario[]): Promise<void> {
    const st = this.db.prepare(
      'INSERT INTO scenarios (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json',
    );
    this.db.transaction(() => {
      for (const s of scenarios) st.run(s.id, JSON.stringify(s));
    })();
  }
  async list(): Promise<Scenario[]> {
    return (this.db.prepare('SELECT json FROM scenarios ORDER BY id').pluck().all() as string[]).map((j) =>
      JSON.parse(j),
    );
  }
}
