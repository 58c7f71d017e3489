import type { Split } from '../../core/types.ts';

export function placeholders(n: number): string {
  return new Array(n).fill('?').join(',');
}

/** ` AND split IN (...)` with its parameters pushed onto `params`; empty when no split is asked */
export function splitFilter(splits: readonly Split[] | undefined, params: unknown[]): string {
  if (!splits || splits.length === 0) return '';
  params.push(...splits);
  return ` AND split IN (${placeholders(splits.length)})`;
}
