/**
 * The ranker fit's candidate pools: per fitting case, the union of the top items by every single
 * feature (then by the fitted ranker), with every candidate's feature row. The model is read, never
 * written: its ranker gives the decay (and, for refinePools, the weights) the queries use.
 */

import { topK } from '../../core/topk.ts';
import { FEATURES, NUM_FEATURES, type RankerWeights, type ScoringModel } from '../../model/scoring.ts';
import type { UserProfile } from '../../profile/types.ts';
import { featuresOf, prepareQuery, scoreCandidates } from '../../rank/query.ts';

export interface ValidCase {
  profile: UserProfile;
  scenario: string;
  target: number;
  /**
   * Every held-out item of a multi-target case (lastfm holds out several artists per user),
   * `target` included; absent = `[target]`. The fit then maximises the multi-target NDCG@10 the
   * harness reports instead of the first target's rank alone.
   */
  targets?: readonly number[];
  /** items that may not be recommended (already consumed) */
  masked: ReadonlySet<number>;
  /**
   * A copy of a case with the target scenario's history taken out (coldStartCopies) or cut to its
   * last entries (thinHistoryCopies): it fits and is checked in its history bucket alone, never in
   * the shared or per-scenario weights.
   */
  copy?: true;
}

export interface Pool {
  scenario: string;
  items: number[];
  /** feature rows, NUM_FEATURES per candidate */
  feats: Float32Array;
  size: number;
  /** position of the target in the pool, -1 when absent */
  target: number;
  /** positions of the case's other targets present in the pool (multi-target cases) */
  others: number[];
  /** how many targets the case has in all (present in the pool or not) */
  relevant: number;
  /**
   * The first `own` rows are the pool the case would get if every cross-scenario feature were 0
   * (the model of the target scenario alone); the rows after them were added by those features.
   */
  own: number;
}

/**
 * Features that carry evidence from scenarios other than the target's: 0 for a single-scenario
 * history, so on single-scenario data and in the no-fusion ablation they never change a score.
 */
export const CROSS_FEATURES: readonly number[] = (
  [
    'knnCross',
    'textFused',
    'transCross',
    'textRecentFused',
    'knnCrossThin',
    'easeFused',
    'alsFused',
    'seqFused',
    'usersCross',
    'attrCross',
    'popularityCross',
  ] as const
).map((f) => FEATURES.indexOf(f));

/** the model as the fit's queries see it: the given weights in place of its own, the model untouched */
export const withRanker = (m: ScoringModel, ranker: RankerWeights): ScoringModel => ({ ...m, ranker });

function targetsOf(c: ValidCase): readonly number[] {
  return c.targets && c.targets.length > 0 ? c.targets : [c.target];
}

/** pool positions of the case's targets other than `target` */
function otherPositions(rows: readonly number[], c: ValidCase): number[] {
  const out: number[] = [];
  for (const t of targetsOf(c)) {
    if (t === c.target) continue;
    const p = rows.indexOf(t);
    if (p >= 0) out.push(p);
  }
  return out;
}

/** the pool of `rows` (own rows first, `own` of them) with their feature rows under query `q` */
function poolOf(
  q: ReturnType<typeof prepareQuery>,
  c: ValidCase,
  rows: number[],
  own: number,
  f: Float32Array<ArrayBuffer>,
): Pool {
  const feats = new Float32Array(rows.length * NUM_FEATURES);
  rows.forEach((it, p) => {
    feats.set(featuresOf(q, it, f), p * NUM_FEATURES);
  });
  return {
    scenario: c.scenario,
    items: rows,
    feats,
    size: rows.length,
    target: rows.indexOf(c.target),
    others: otherPositions(rows, c),
    relevant: targetsOf(c).length,
    own,
  };
}

/** the pool of the target scenario's own evidence: the first `own` rows (see Pool.own) */
export function ownView(p: Pool): Pool {
  if (p.own === p.size) return p;
  return {
    ...p,
    items: p.items.slice(0, p.own),
    feats: p.feats.subarray(0, p.own * NUM_FEATURES),
    size: p.own,
    target: p.target < p.own ? p.target : -1,
    others: p.others.filter((r) => r < p.own),
  };
}

/** the rows of the k largest values, largest first (equal values: the earlier row first) */
function topRows(values: Float32Array, k: number): number[] {
  return topK(values.length, k, (r) => values[r]!);
}

/** the items of the case's scenario it may be recommended, in the scenario's order */
function candidatesOf(m: ScoringModel, c: ValidCase, scenarioCode: number): number[] {
  return Array.from(m.scenarioItems[scenarioCode] ?? []).filter((i) => !c.masked.has(i));
}

/**
 * Candidate pools of every case for every decay (the model's own decay is not used). The dense
 * pass over the scenario (text, popularity, context) runs once per case; only the sparse
 * collaborative features change with the decay, so each further decay costs a few hundred feature
 * rows per case.
 */
export function buildPools(
  m: ScoringModel,
  cases: readonly ValidCase[],
  per: number,
  decays: readonly number[],
  signal?: AbortSignal,
  onCase?: (done: number, total: number) => void,
): Pool[][] {
  const out: Pool[][] = decays.map(() => []);
  const f = new Float32Array(NUM_FEATURES);
  const atDecay = decays.map((decay) => withRanker(m, { ...m.ranker, decay }));
  // features from the sparse collaborative arrays change with the decay; the rest do not
  const SPARSE = (
    ['knnSame', 'knnCross', 'trans', 'ease', 'easeFused', 'attr', 'attrLast', 'attrCross'] as const
  ).map((n) => FEATURES.indexOf(n));
  const DENSE = FEATURES.map((_, k) => k).filter((k) => !SPARSE.includes(k) && FEATURES[k] !== 'knnStrength');
  cases.forEach((c, ci) => {
    if (ci % 50 === 0) {
      signal?.throwIfAborted();
      onCase?.(ci, cases.length);
    }
    const q0 = prepareQuery(atDecay[0]!, c.profile, { scenario: c.scenario });
    const items = candidatesOf(m, c, q0.scenarioCode);
    const cols = DENSE.map(() => new Float32Array(items.length));
    items.forEach((it, r) => {
      featuresOf(q0, it, f);
      DENSE.forEach((k, j) => {
        cols[j]![r] = f[k]!;
      });
    });
    // a cross-scenario column counts as all 0 for the own rows, as it is for the model alone
    const zero = new Float32Array(items.length);
    const base = new Set<number>();
    const crossBase = new Set<number>();
    DENSE.forEach((k, j) => {
      const cross = CROSS_FEATURES.includes(k);
      for (const r of topRows(cross ? zero : cols[j]!, per)) base.add(items[r]!);
      if (cross) for (const r of topRows(cols[j]!, per)) crossBase.add(items[r]!);
    });
    decays.forEach((_, di) => {
      const q = di === 0 ? q0 : prepareQuery(atDecay[di]!, c.profile, { scenario: c.scenario });
      const set = new Set(base);
      const crossSet = new Set(crossBase);
      const touched = q.touched.filter((i) => m.scenarioCode[i] === q.scenarioCode && !c.masked.has(i));
      const arrays: [Float32Array, Set<number>][] = [
        [q.knnSame, set],
        [q.knnCross, crossSet],
        [q.trans, set],
        [q.ease, set],
        [q.transCross, crossSet],
        [q.easeFused, crossSet],
        [q.attr, set],
        [q.attrLast, set],
        [q.attrCross, crossSet],
      ];
      for (const [arr, into] of arrays) {
        touched
          .filter((i) => arr[i]! > 0)
          .sort((a, b) => arr[b]! - arr[a]! || a - b)
          .slice(0, per)
          .forEach((i) => {
            into.add(i);
          });
      }
      const own = set.size;
      const rows = [...set, ...[...crossSet].filter((i) => !set.has(i))];
      out[di]!.push(poolOf(q, c, rows, own, f));
    });
  });
  return out;
}

/**
 * Pools rebuilt around the model's ranker (its weights and decay): its own top items over the
 * whole scenario join each pool, so the items that would outrank the target under the fitted
 * weights are in the pool and the second fit sees the real competition (the first pools only hold
 * each single feature's top). The old pool's own rows stay own rows, its cross-scenario rows come
 * after them (see Pool.own).
 */
export function refinePools(
  m: ScoringModel,
  cases: readonly ValidCase[],
  pools: readonly Pick<Pool, 'items' | 'own'>[],
  extra: number,
  signal?: AbortSignal,
  onCase?: (done: number, total: number) => void,
): Pool[] {
  const f = new Float32Array(NUM_FEATURES);
  return cases.map((c, ci) => {
    if (ci % 50 === 0) {
      signal?.throwIfAborted();
      onCase?.(ci, cases.length);
    }
    const q = prepareQuery(m, c.profile, { scenario: c.scenario });
    const items = candidatesOf(m, c, q.scenarioCode);
    const scores = scoreCandidates(q, items);
    const rows = new Set(topRows(scores, extra).map((r) => items[r]!));
    // the targets always join: the ascent needs their rank among the competitors. A model that
    // learns from the rows themselves must not use these pools: a row no feature ranks high is then
    // almost surely a target (docs/results.md, "a learned re-ranker")
    for (const t of targetsOf(c)) rows.add(t);
    const old = pools[ci]!;
    // the first pool's items stay: they are each single feature's strongest competitors
    for (const it of old.items.slice(0, old.own)) rows.add(it);
    const fits = (i: number) => !c.masked.has(i) && m.scenarioCode[i] === q.scenarioCode;
    const ownList = [...rows].filter(fits);
    const list = [...ownList, ...old.items.slice(old.own).filter((i) => fits(i) && !rows.has(i))];
    return poolOf(q, c, list, ownList.length, f);
  });
}

/**
 * The whole scenario as one pool per case (history masked), at the model's decay: the ranking the
 * evaluation reports, free of the pools' choice of competitors.
 */
export function fullPool(m: ScoringModel, c: ValidCase, f: Float32Array<ArrayBuffer>): Pool {
  const q = prepareQuery(m, c.profile, { scenario: c.scenario });
  const items = candidatesOf(m, c, q.scenarioCode);
  return poolOf(q, c, items, items.length, f);
}
