import type pg from 'pg';
import type { Split } from '../../core/types.ts';

/** Numbered parameters (`$1`, `$2`, ...) collected as a query grows, so every value is bound. */
export class Params {
  readonly values: unknown[] = [];
  /** binds `v` and returns its placeholder */
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** ` AND split = ANY(...)` with its parameter bound; empty when no split is asked */
export function splitFilter(splits: readonly Split[] | undefined, p: Params): string {
  if (!splits || splits.length === 0) return '';
  return ` AND split = ANY(${p.add(splits)}::text[])`;
}

/**
 * Runs `fn` in one transaction on one pooled connection. A connection whose ROLLBACK failed is
 * destroyed, not returned to the pool, since its session state is unknown.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    await c.query('BEGIN');
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (e) {
    await c.query('ROLLBACK').catch((err: Error) => {
      broken = err;
    });
    throw e;
  } finally {
    c.release(broken);
  }
}

/**
 * The last entry of each key, ordered by key: one statement may not touch a row twice, and
 * concurrent upserts that lock their rows in one order cannot deadlock each other.
 */
export function lastByKey<T>(rows: readonly T[], keyOf: (r: T) => string): T[] {
  const m = new Map<string, T>();
  for (const r of rows) m.set(keyOf(r), r);
  return [...m.keys()].sort().map((k) => m.get(k)!);
}
