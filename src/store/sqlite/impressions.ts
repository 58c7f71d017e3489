import { bodyOf, type ImpressionRow, toImpression } from '../data/impression-rows.ts';
import type { Attribution, Impression, ImpressionPage, ImpressionStore } from '../data/types.ts';
import type { DB } from './open.ts';

type Row = ImpressionRow;

/** impressions a latestShowing reads at most: the window is short, a user sees few lists in it */
const RECENT = 500;
/** ids bound in one query (SQLite allows 32,766 parameters) */
const CHUNK = 500;

export class SqliteImpressions implements ImpressionStore {
  constructor(private readonly db: DB) {}

  async add(impressions: readonly Impression[]): Promise<number> {
    const st = this.db.prepare(
      `INSERT INTO impressions (id, user, scenario, ts, model_version, experiment, variant, json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    return this.db.transaction(() => {
      let n = 0;
      for (const i of impressions)
        n += st.run(
          i.id,
          i.user,
          i.scenario,
          i.ts,
          i.modelVersion,
          i.experiment ?? null,
          i.variant ?? null,
          bodyOf(i),
        ).changes;
      return n;
    })();
  }

  async get(id: string): Promise<Impression | undefined> {
    const r = this.db.prepare('SELECT * FROM impressions WHERE id = ?').get(id) as Row | undefined;
    return r && toImpression(r);
  }

  async latestShowing(
    user: string,
    item: string,
    since: number,
    until: number,
  ): Promise<Impression | undefined> {
    const rows = this.db
      .prepare(
        'SELECT * FROM impressions WHERE user = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC, seq DESC LIMIT ?',
      )
      .all(user, since, until, RECENT) as Row[];
    for (const r of rows) {
      const imp = toImpression(r);
      if (imp.items.some((x) => x.item === item)) return imp;
    }
    return undefined;
  }

  async scan(opts: { experiment?: string; afterSeq?: number; limit: number }): Promise<ImpressionPage> {
    const rows = (
      opts.experiment === undefined
        ? this.db
            .prepare('SELECT * FROM impressions WHERE seq > ? ORDER BY seq LIMIT ?')
            .all(opts.afterSeq ?? 0, opts.limit)
        : this.db
            .prepare('SELECT * FROM impressions WHERE experiment = ? AND seq > ? ORDER BY seq LIMIT ?')
            .all(opts.experiment, opts.afterSeq ?? 0, opts.limit)
    ) as Row[];
    return {
      impressions: rows.map((r) => ({ ...toImpression(r), seq: r.seq })),
      next: rows.length === opts.limit ? rows[rows.length - 1]!.seq : undefined,
    };
  }

  async attribute(rows: readonly Attribution[]): Promise<number> {
    const st = this.db.prepare(
      `INSERT INTO attributions (event, impression, user, item, type, ts) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (event) DO NOTHING`,
    );
    return this.db.transaction(() => {
      let n = 0;
      for (const a of rows) n += st.run(a.event, a.impression, a.user, a.item, a.type, a.ts).changes;
      return n;
    })();
  }

  async attributionsOf(impressions: readonly string[]): Promise<Attribution[]> {
    const out: Attribution[] = [];
    for (let i = 0; i < impressions.length; i += CHUNK) {
      const ids = impressions.slice(i, i + CHUNK);
      out.push(
        ...(this.db
          .prepare(
            `SELECT event, impression, user, item, type, ts FROM attributions
             WHERE impression IN (${ids.map(() => '?').join(',')})`,
          )
          .all(...ids) as Attribution[]),
      );
    }
    return out;
  }

  async count(opts: { experiment?: string } = {}): Promise<number> {
    return (
      opts.experiment === undefined
        ? this.db.prepare('SELECT COUNT(*) FROM impressions').pluck().get()
        : this.db
            .prepare('SELECT COUNT(*) FROM impressions WHERE experiment = ?')
            .pluck()
            .get(opts.experiment)
    ) as number;
  }
}
