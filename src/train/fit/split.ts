/**
 * Who does what in the ranker fit: every fitting case gets one of four roles, drawn by a seeded
 * shuffle within each stratum (target scenario and target-history bucket), never by its position
 * in the input. Two roles fit the cross-scenario weights (and are that ascent's two guard halves),
 * two judge them on the full ranking (the check and its two halves). Data whose cases come in a
 * fixed scenario order (each user's food line, then their kitchen line) would otherwise put every
 * case of one scenario in one role; within a stratum the roles rotate, so each stratum has about
 * as many check cases as fitting cases, and the split is the same whatever order the cases came in.
 */

import { seededRandom } from '../../core/rng.ts';
import { historyBucketKey } from '../../model/scoring.ts';
import { ownCountOf } from '../../rank/query.ts';
import type { ValidCase } from './pools.ts';

/** the (scenario, target-history bucket) key a case is stratified and, where fitted, weighted by */
export const bucketOf = (c: ValidCase): string =>
  historyBucketKey(c.scenario, ownCountOf(c.profile.history, c.scenario));

/** what tells two cases apart, whatever order they came in: scenario, user, target, history */
function keyOf(c: ValidCase): string {
  const hist = c.profile.history.map((h) => `${h.item}:${h.ts}`).join(',');
  return `${c.scenario}\u0001${c.profile.user}\u0001${(c.targets ?? [c.target]).join(',')}\u0001${hist}`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** the cases in one order that does not depend on the order they were given in */
export function canonicalOrder<T extends ValidCase>(cases: readonly T[]): T[] {
  const keyed = cases.map((c) => ({ c, k: keyOf(c) }));
  keyed.sort((a, b) => compare(a.k, b.k));
  return keyed.map((x) => x.c);
}

export interface CaseSplit {
  /** indices of the cases the cross-scenario weights are fitted on */
  fit: number[];
  /** 0 or 1 per entry of `fit`: its half for the ascent's guard */
  fitHalf: (0 | 1)[];
  /** indices of the held-out cases the full-ranking check judges on */
  check: number[];
  /** 0 or 1 per entry of `check`: its half of the check */
  checkHalf: (0 | 1)[];
  /** per scenario and per `scenario|bucket`: how many cases fit and how many check */
  counts: Record<string, { fit: number; check: number }>;
}

/**
 * The four roles of `cases` (in canonical order, see canonicalOrder): each stratum is shuffled with
 * `seed`, the strata are laid end to end in key order and the roles go round fit-A, check-A, fit-B,
 * check-B over them, so every stratum, every scenario and the whole split within one case. A
 * scenario's counts are those of its cases other than copies (cold-start and thin-history, which
 * count in their bucket only).
 */
export function splitCases(cases: readonly ValidCase[], seed: number): CaseSplit {
  const strata = new Map<string, number[]>();
  // the copies' strata after every other: adding them leaves the other cases' roles be
  const stratumOf = (c: ValidCase) => `${c.copy ? 1 : 0}\u0001${bucketOf(c)}`;
  cases.forEach((c, i) => {
    const k = stratumOf(c);
    const list = strata.get(k);
    if (list) list.push(i);
    else strata.set(k, [i]);
  });
  const random = seededRandom(seed ^ 0x5e11);
  const out: CaseSplit = { fit: [], fitHalf: [], check: [], checkHalf: [], counts: {} };
  const count = (key: string, role: 'fit' | 'check') => {
    out.counts[key] ??= { fit: 0, check: 0 };
    out.counts[key][role]++;
  };
  let j = 0;
  for (const stratum of [...strata.keys()].sort(compare)) {
    const idx = strata.get(stratum)!;
    const key = stratum.slice(stratum.indexOf('\u0001') + 1);
    for (let i = idx.length - 1; i > 0; i--) {
      const r = Math.floor(random() * (i + 1));
      [idx[i], idx[r]] = [idx[r]!, idx[i]!];
    }
    for (const i of idx) {
      const role = j++ % 4;
      const half = role < 2 ? 0 : 1;
      const scenario = cases[i]!.scenario;
      if (role % 2 === 0) {
        out.fit.push(i);
        out.fitHalf.push(half);
        if (!cases[i]!.copy) count(scenario, 'fit');
        count(key, 'fit');
      } else {
        out.check.push(i);
        out.checkHalf.push(half);
        if (!cases[i]!.copy) count(scenario, 'check');
        count(key, 'check');
      }
    }
  }
  return out;
}

/** `xs` cut by `half` (aligned with it) into its two halves */
export function halvesBy<T>(xs: readonly T[], half: readonly (0 | 1)[]): [T[], T[]] {
  return [xs.filter((_, i) => half[i] === 0), xs.filter((_, i) => half[i] === 1)];
}
