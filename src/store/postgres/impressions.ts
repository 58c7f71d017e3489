import type pg from 'pg';
import { bodyOf, type ImpressionRow, toImpression } from '../data/impression-rows.ts';
import type { Attribution, Impression, ImpressionPage, ImpressionStore } from '../data/types.ts';
import { Params } from './sql.ts';

type Row = ImpressionRow;

const COLUMNS = 'seq, id, user_id AS "user", scenario, ts, model_version, experiment, variant, json';
/** impressions a latestShowing reads at most: the window is short, a user sees few lists in it */
const RECENT = 500;

export class PgImpressions implements ImpressionStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(impressions: readonly Impression[]): Promise<number> {
    if (impressions.length === 0) return 0;
    const col = <T>(f: (i: Impression) => T) => impressions.map(f);
    // one statement is one transaction: all rows or none
    const r = await this.pool.query(
      `INSERT INTO impressions (id, user_id, scenario, ts, model_version, experiment, variant, json)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])
       ON CONFLICT (id) DO NOTHING`,
      [
        col((i) => i.id),
        col((i) => i.user),
        col((i) => i.scenario),
        col((i) => i.ts),
        col((i) => i.modelVersion),
        col((i) => i.experiment ?? null),
        col((i) => i.variant ?? null),
        col(bodyOf),
      ],
    );
    return r.rowCount ?? 0;
  }

  async get(id: string): Promise<Impression | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM impressions WHERE id = $1`, [id]);
    return rows[0] && toImpression(rows[0]);
  }

  async latestShowing(
    user: string,
    item: string,
    since: number,
    until: number,
  ): Promise<Impression | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM impressions WHERE user_id = $1 AND ts >= $2 AND ts <= $3
       ORDER BY ts DESC, seq DESC LIMIT $4`,
      [user, since, until, RECENT],
    );
    for (const r of rows) {
      const imp = toImpression(r);
      if (imp.items.some((x) => x.item === item)) return imp;
    }
    return undefined;
  }

  async scan(opts: { experiment?: string; afterSeq?: number; limit: number }): Promise<ImpressionPage> {
    const p = new Params();
    const where = opts.experiment === undefined ? '' : ` AND experiment = ${p.add(opts.experiment)}`;
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM impressions WHERE seq > ${p.add(opts.afterSeq ?? 0)}${where}
       ORDER BY seq LIMIT ${p.add(opts.limit)}`,
      p.values,
    );
    return {
      impressions: rows.map((r) => ({ ...toImpression(r), seq: r.seq })),
      next: rows.length === opts.limit ? rows[rows.length - 1]!.seq : undefined,
    };
  }

  async attribute(rows: readonly Attribution[]): Promise<number> {
    if (rows.length === 0) return 0;
    const col = <T>(f: (a: Attribution) => T) => rows.map(f);
    const r = await this.pool.query(
      `INSERT INTO attributions (event, impression, user_id, item, type, ts)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
       ON CONFLICT (event) DO NOTHING`,
      [
        col((a) => a.event),
        col((a) => a.impression),
        col((a) => a.user),
        col((a) => a.item),
        col((a) => a.type),
        col((a) => a.ts),
      ],
    );
    return r.rowCount ?? 0;
  }

  async attributionsOf(impressions: readonly string[]): Promise<Attribution[]> {
    if (impressions.length === 0) return [];
    const { rows } = await this.pool.query<Attribution>(
      `SELECT event, impression, user_id AS "user", item, type, ts FROM attributions
       WHERE impression = ANY($1::text[])`,
      [impressions],
    );
    return rows;
  }

  async count(opts: { experiment?: string } = {}): Promise<number> {
    const { rows } =
      opts.experiment === undefined
        ? await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM impressions')
        : await this.pool.query<{ n: number }>(
            'SELECT COUNT(*) AS n FROM impressions WHERE experiment = $1',
            [opts.experiment],
          );
    return rows[0]!.n;
  }
}
