import type { StoreStats } from '../data/types.ts';
import type { DB } from './open.ts';

export function storeStats(db: DB): StoreStats {
  const scalar = (sql: string) => (db.prepare(sql).pluck().get() as number) ?? 0;
  const scenarioIds = new Set<string>([
    ...(db.prepare('SELECT id FROM scenarios').pluck().all() as string[]),
    ...(db.prepare('SELECT DISTINCT scenario FROM items').pluck().all() as string[]),
  ]);
  const evRows = db
    .prepare(
      'SELECT scenario, COUNT(*) AS events, COUNT(DISTINCT user) AS users FROM events GROUP BY scenario',
    )
    .all() as { scenario: string; events: number; users: number }[];
  const itemRows = db.prepare('SELECT scenario, COUNT(*) AS n FROM items GROUP BY scenario').all() as {
    scenario: string;
    n: number;
  }[];
  for (const r of evRows) scenarioIds.add(r.scenario);
  const scenarios = [...scenarioIds].sort().map((scenario) => ({
    scenario,
    items: itemRows.find((r) => r.scenario === scenario)?.n ?? 0,
    users: evRows.find((r) => r.scenario === scenario)?.users ?? 0,
    events: evRows.find((r) => r.scenario === scenario)?.events ?? 0,
  }));
  const byType = db.prepare('SELECT type, COUNT(*) AS n FROM events GROUP BY type ORDER BY type').all() as {
    type: string;
    n: number;
  }[];
  const bySplit = db
    .prepare(
      "SELECT COALESCE(split, 'none') AS split, COUNT(*) AS n FROM events GROUP BY split ORDER BY split",
    )
    .all() as { split: string; n: number }[];
  return {
    items: scalar('SELECT COUNT(*) FROM items'),
    users: scalar('SELECT COUNT(*) FROM users'),
    events: scalar('SELECT COUNT(*) FROM events'),
    scenarios,
    multiScenarioUsers: scalar(
      'SELECT COUNT(*) FROM (SELECT user FROM events GROUP BY user HAVING COUNT(DISTINCT scenario) > 1)',
    ),
    multiScenarioUsersBySplit: Object.fromEntries(
      (
        db
          .prepare(
            `SELECT split, COUNT(*) AS n FROM (
               SELECT COALESCE(split, 'none') AS split FROM events
               GROUP BY user, split HAVING COUNT(DISTINCT scenario) > 1)
             GROUP BY split ORDER BY split`,
          )
          .all() as { split: string; n: number }[]
      ).map((r) => [r.split, r.n]),
    ),
    eventsByType: Object.fromEntries(byType.map((r) => [r.type, r.n])),
    eventsBySplit: Object.fromEntries(bySplit.map((r) => [r.split, r.n])),
  };
}
