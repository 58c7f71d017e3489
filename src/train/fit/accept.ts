/**
 * The last word on the cross-scenario weights: how much of them to serve. Stage 2 (fit/ascent.ts)
 * moves only the cross-scenario features; this check scores, on the full ranking of held-out check
 * cases, the target scenario's own weights with those features at a share of 0, 1/4, 1/2, 3/4 or 1
 * of stage 2's values (the scenario's own stage 2, or the shared one), and keeps the candidate that
 * does best, where it beats the own weights on the whole check and on neither half less. Where there
 * are too few check cases to tell, the check says so and the weights fall back to the shared verdict.
 */

import type { RankerWeights, ScoringModel } from '../../model/scoring.ts';
import { fullRankNdcg } from './objective.ts';
import { CROSS_FEATURES, type ValidCase } from './pools.ts';
import { bucketOf, type CaseSplit, halvesBy } from './split.ts';

/**
 * Fewest check cases (both halves together) a verdict is drawn on; fewer = `undecided`. The check
 * compares weight sets on the same cases and asks each half to agree: below about ten cases a
 * half, one case moving a few ranks decides it.
 */
export const MIN_CHECK_CASES = 20;

/**
 * The shares of stage 2's cross-scenario weights the check tries (0 = the own weights, 1 = stage
 * 2's as fitted). Coordinate ascent moves a weight by whole grid steps that the few cases tipping a
 * step decide; a share between keeps the direction the fitting cases agree on at a smaller size.
 */
export const CROSS_SHARES: readonly number[] = [0, 0.25, 0.5, 0.75, 1];

/**
 * Per scenario (and `shared`, and each checked history bucket) whose stage 2 moved the weights:
 * the cases stage 2 was fitted on and the cases it was checked on, full-ranking NDCG@10 of the
 * weights without the cross-scenario features (`own`), with them as fitted (`fused`) and at the
 * share served (`served`), the share (`share`, one of CROSS_SHARES) and whether any was kept
 * (`kept`: share > 0). `undecided`: fewer than the minimum check cases, so no verdict; the weights
 * fall back to the shared ones (see acceptCross).
 */
export type CrossCheck = Record<
  string,
  {
    fitCases: number;
    checkCases: number;
    own: number;
    fused: number;
    served: number;
    /** an honest estimate of `served` (chooseShare's `crossFitted`): each half of the check cases
     * scored at the share the other half picks */
    crossFitted: number;
    share: number;
    kept: boolean;
    /** a scenario served its own weights with the shared cross-scenario weights (at `share`) */
    from?: 'shared';
    undecided?: true;
  }
>;

type Weights = Pick<RankerWeights, 'shared' | 'perScenario'>;

/**
 * NDCG@10 of each case at each of its weight sets on the full ranking (fullRankNdcg's contract),
 * here or shared with other threads (../pool-workers.ts)
 */
export type CheckScorer = (
  m: ScoringModel,
  cases: readonly ValidCase[],
  weights: readonly (readonly (readonly number[])[])[],
  signal?: AbortSignal,
  onCase?: (done: number, total: number) => void,
) => Promise<number[][]>;

const scoreHere: CheckScorer = async (m, cases, weights, signal, onCase) =>
  fullRankNdcg(m, cases, weights, signal, onCase);

const same = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x === b[i]);

/** `w` with its cross-scenario features taken from `from` */
function withCrossOf(w: readonly number[], from: readonly number[]): number[] {
  return w.map((x, k) => (CROSS_FEATURES.includes(k) ? from[k]! : x));
}

/** `a` moved a `share` of the way to `b` (`a` at 0, `b` at 1) */
export function blendWeights(a: readonly number[], b: readonly number[], share: number): number[] {
  if (share === 0) return [...a];
  if (share === 1) return [...b];
  return a.map((x, k) => x + share * (b[k]! - x));
}

/**
 * Which of `rows`' columns to serve: `rows[i][j]` is check case i's NDCG@10 under candidate j
 * (column 0 the base), `half[i]` its half. The candidate with the best mean among those that beat
 * the base on the whole and on neither half less (ties: the earlier column); the base (0) when none
 * does or there are too few cases (`undecided`).
 *
 * `crossFitted` is an honest estimate of what choosing is worth: each half's mean under the
 * column the other half would pick on its own (its best mean above the base, else the base),
 * averaged over the cases. The served mean is the best of several candidates on the same cases and
 * so reads high; this one judges every pick on cases it was not made on. The base's mean when
 * undecided.
 */
export function chooseShare(
  rows: readonly (readonly number[])[],
  half: readonly (0 | 1)[],
  minCheckCases: number,
): { pick: number; means: number[]; undecided: boolean; crossFitted: number } {
  const columns = rows[0]?.length ?? CROSS_SHARES.length;
  const mean = (xs: readonly (readonly number[])[], k: number) =>
    xs.reduce((s, x) => s + x[k]!, 0) / Math.max(1, xs.length);
  const means = Array.from({ length: columns }, (_, k) => mean(rows, k));
  const halves = halvesBy(rows, half);
  const undecided = rows.length < minCheckCases || halves.some((h) => h.length === 0);
  let pick = 0;
  if (undecided) return { pick, means, undecided, crossFitted: means[0]! };
  for (let k = 1; k < columns; k++) {
    const holds = means[k]! > means[0]! && halves.every((h) => mean(h, k) >= mean(h, 0));
    if (holds && means[k]! > means[pick]!) pick = k;
  }
  // each half judged at the column the other half picks
  const pickOn = (h: readonly (readonly number[])[]) => {
    let best = 0;
    for (let k = 1; k < columns; k++) if (mean(h, k) > mean(h, best)) best = k;
    return best;
  };
  const [h0, h1] = halves;
  const at1 = pickOn(h0);
  const at0 = pickOn(h1);
  const crossFitted =
    (h0.reduce((s, x) => s + x[at0]!, 0) + h1.reduce((s, x) => s + x[at1]!, 0)) / rows.length;
  return { pick, means, undecided, crossFitted };
}

/**
 * The served weights for each scenario (and `shared`, and each history bucket with weights of its
 * own) and the check's record. For `shared`: its own weights against stage 2's cross-scenario
 * weights at each share, on every check case. For a scenario: its own weights against its own
 * stage 2's cross-scenario weights at each share and the shared stage 2's at each share (its own
 * features with the shared cross-scenario ones, STAR's shared part), on its check cases. A bucket's share is chosen the
 * same way against what its scenario kept, on the check cases of that bucket. Scenarios whose stage
 * 2 changed nothing keep stage 1 without a check (one scenario, or the model alone: the cross
 * features are all 0).
 *
 * Copied cases (ValidCase.copy: cold-start and thin-history) are judged in their bucket alone,
 * never in the shared or the scenario's verdict.
 *
 * Fewer than `minCheckCases` check cases decide nothing (`undecided`): `shared` then stays stage
 * 1's, a scenario is served with the shared verdict (its own stage-1 weights with the shared
 * cross-scenario ones at the shared share), a bucket with its scenario's. `m` is read at its own
 * decay; `score` ranks the check cases (on this thread by default).
 */
export async function acceptCross(
  m: ScoringModel,
  cases: readonly ValidCase[],
  split: Pick<CaseSplit, 'fit' | 'check' | 'checkHalf' | 'counts'>,
  own: Weights,
  cross: Weights & { perBucket: Record<string, number[]> },
  minCheckCases: number,
  signal?: AbortSignal,
  onProgress?: (done: number, total: number, label: string) => void,
  score: CheckScorer = scoreHere,
): Promise<{ ranker: Weights; check: CrossCheck; unchanged: boolean }> {
  const ownOf = (s: string) => own.perScenario[s] ?? own.shared;
  const crossOf = (s: string) => cross.perScenario[s] ?? cross.shared;
  const scenarioOfKey = (k: string) => k.slice(0, k.lastIndexOf('|'));
  const changed = new Set(
    m.scenarios.filter((s) => cross.perScenario[s] && !same(cross.perScenario[s]!, ownOf(s))),
  );
  const bucketsChanged = Object.entries(cross.perBucket).some(
    ([k, w]) => !same(w, crossOf(scenarioOfKey(k))),
  );
  const sharedChanged = !same(cross.shared, own.shared);
  const check: CrossCheck = {};
  if (changed.size === 0 && !sharedChanged && !bucketsChanged)
    return { ranker: { shared: own.shared, perScenario: own.perScenario }, check, unchanged: true };
  const checkCases = split.check.map((i) => cases[i]!);
  const n = CROSS_SHARES.length;
  const shares = (a: readonly number[], b: readonly number[]) =>
    CROSS_SHARES.map((x) => blendWeights(a, b, x));
  // a scenario's fallback when undecided: its own weights with the shared cross-scenario ones
  const fallbackOf = (s: string, sharedW: readonly number[]) =>
    own.perScenario[s] ? withCrossOf(own.perScenario[s]!, sharedW) : [...sharedW];
  const sharedSets = shares(own.shared, cross.shared);
  // the columns of each case: [its scenario at each share | shared at each share | its bucket at
  // each share (from its scenario's own weights) | its scenario's fallback at each shared share]
  const COL = { scenario: 0, shared: n, bucket: 2 * n, fallback: 3 * n } as const;
  const scores = await score(
    m,
    checkCases,
    checkCases.map((c) => {
      const bucketW = cross.perBucket[bucketOf(c)] ?? crossOf(c.scenario);
      return [
        ...shares(ownOf(c.scenario), crossOf(c.scenario)),
        ...sharedSets,
        ...shares(ownOf(c.scenario), bucketW),
        ...sharedSets.map((w) => fallbackOf(c.scenario, w)),
      ];
    }),
    signal,
    (d, t) => onProgress?.(d, t, 'full-ranking check of the cross-scenario weights'),
  );
  // the shares above 0 of the block of columns at `at`
  const sharesAt = (at: number) => CROSS_SHARES.slice(1).map((_, k) => at + k + 1);
  const shareOf = (column: number) => CROSS_SHARES[(column - COL.scenario) % n]!;
  /**
   * The verdict on `key` over the check cases `keep` takes: the base is column `base`, the
   * candidates `cands` (columns, each at its share `shareOf`); `fused` reports column `fitted`.
   */
  const verdict = (
    key: string,
    keep: (c: ValidCase) => boolean,
    base: number,
    cands: readonly number[],
    fitted: number,
  ) => {
    const at = checkCases.map((_, i) => i).filter((i) => keep(checkCases[i]!));
    // column 0 the base, then the candidates
    const rows = at.map((i) => [scores[i]![base]!, ...cands.map((k) => scores[i]![k]!)]);
    const meanOf = (col: number) => at.reduce((s, i) => s + scores[i]![col]!, 0) / Math.max(1, at.length);
    const { pick, means, undecided, crossFitted } = chooseShare(
      rows,
      at.map((i) => split.checkHalf[i]!),
      minCheckCases,
    );
    const column = pick > 0 ? cands[pick - 1]! : base;
    check[key] = {
      fitCases:
        key === 'shared' ? split.fit.filter((i) => !cases[i]!.copy).length : (split.counts[key]?.fit ?? 0),
      checkCases: rows.length,
      own: Number(means[0]!.toFixed(4)),
      fused: Number(meanOf(fitted).toFixed(4)),
      served: Number(means[pick]!.toFixed(4)),
      crossFitted: Number(crossFitted.toFixed(4)),
      share: pick > 0 ? shareOf(column) : 0,
      kept: pick > 0,
      ...(pick > 0 && column >= COL.fallback ? { from: 'shared' as const } : {}),
      ...(undecided ? { undecided: true as const } : {}),
    };
    return { ...check[key]!, column };
  };
  const shared = sharedChanged
    ? verdict('shared', (c) => !c.copy, COL.shared, sharesAt(COL.shared), COL.shared + n - 1)
    : undefined;
  const sharedPick = shared?.kept ? shared.column - COL.shared : 0;
  const finalShared = sharedPick > 0 ? sharedSets[sharedPick]! : own.shared;
  const perScenario: Record<string, number[]> = {};
  for (const s of m.scenarios) {
    let w = ownOf(s);
    // the column of the check rows that scored w
    let column: number = COL.scenario;
    if (changed.has(s) || sharedChanged) {
      // its own stage 2 at each share, then its own weights with the shared stage 2's
      // cross-scenario weights at each share (the shared part of a STAR split)
      const cands = [
        ...(changed.has(s) ? sharesAt(COL.scenario) : []),
        ...(sharedChanged ? sharesAt(COL.fallback) : []),
      ];
      const v = verdict(s, (c) => c.scenario === s && !c.copy, COL.scenario, cands, COL.scenario + n - 1);
      if (v.kept) {
        w =
          v.column >= COL.fallback
            ? fallbackOf(s, sharedSets[v.column - COL.fallback]!)
            : blendWeights(ownOf(s), crossOf(s), v.share);
        column = v.column;
      } else if (v.undecided && sharedPick > 0) {
        w = fallbackOf(s, finalShared);
        column = COL.fallback + sharedPick;
      }
    }
    if (own.perScenario[s] || !same(w, finalShared)) perScenario[s] = w;
    for (const key of Object.keys(cross.perBucket).sort()) {
      const bw = cross.perBucket[key]!;
      if (scenarioOfKey(key) !== s || same(bw, w)) continue;
      const v = verdict(key, (c) => bucketOf(c) === key, column, sharesAt(COL.bucket), COL.bucket + n - 1);
      if (v.kept) perScenario[key] = blendWeights(ownOf(s), bw, v.share);
    }
  }
  return { ranker: { shared: finalShared, perScenario }, check, unchanged: false };
}
