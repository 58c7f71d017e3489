import type pg from 'pg';
import type { StoreStats } from '../data/types.ts';

export async function storeStats(pool: pg.Pool): Promise<StoreStats> {
  const rows = async <T extends pg.QueryResultRow>(sql: string) => (await pool.query<T>(sql)).rows;
  const scalar = async (sql: string) => (await rows<{ n: number }>(sql))[0]?.n ?? 0;
  const [declared, evRows, itemRows, byType, bySplit, multi, multiBySplit, items, users, events] =
    await Promise.all([
      rows<{ id: string }>('SELECT id FROM scenarios'),
      rows<{ scenario: string; events: number; users: number }>(
        'SELECT scenario, COUNT(*) AS events, COUNT(DISTINCT user_id) AS users FROM events GROUP BY scenario',
      ),
      rows<{ scenario: string; n: number }>('SELECT scenario, COUNT(*) AS n FROM items GROUP BY scenario'),
      rows<{ type: string; n: number }>('SELECT type, COUNT(*) AS n FROM events GROUP BY type ORDER BY type'),
      rows<{ split: string; n: number }>(
        "SELECT COALESCE(split, 'none') AS split, COUNT(*) AS n FROM events GROUP BY 1 ORDER BY 1",
      ),
      scalar(
        'SELECT COUNT(*) AS n FROM (SELECT user_id FROM events GROUP BY user_id HAVING COUNT(DISTINCT scenario) > 1) AS m',
      ),
      rows<{ split: string; n: number }>(
        `SELECT split, COUNT(*) AS n FROM (
         SELECT COALESCE(split, 'none') AS split FROM events
         GROUP BY user_id, split HAVING COUNT(DISTINCT scenario) > 1) AS m
       GROUP BY split ORDER BY split`,
      ),
      scalar('SELECT COUNT(*) AS n FROM items'),
      scalar('SELECT COUNT(*) AS n FROM users'),
      scalar('SELECT COUNT(*) AS n FROM events'),
    ]);
  const ids = new Set<string>([
    ...declared.map((r) => r.id),
    ...itemRows.map((r) => r.scenario),
    ...evRows.map((r) => r.scenario),
  ]);
  const scenarios = [...ids].sort().map((scenario) => ({
    scenario,
    items: itemRows.find((r) => r.scenario === scenario)?.n ?? 0,
    users: evRows.find((r) => r.scenario === scenario)?.users ?? 0,
    events: evRows.find((r) => r.scenario === scenario)?.events ?? 0,
  }));
  return {
    items,
    users,
    events,
    scenarios,
    multiScenarioUsers: multi,
    multiScenarioUsersBySplit: Object.fromEntries(multiBySplit.map((r) => [r.split, r.n])),
    eventsByType: Object.fromEntries(byType.map((r) => [r.type, r.n])),
    eventsBySplit: Object.fromEntries(bySplit.map((r) => [r.split, r.n])),
  };
}
