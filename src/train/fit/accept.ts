/**
 * The last word on the cross-scenario weights: kept only where they beat the target scenario's own
 * weights on the full ranking of held-out valid cases, and only where there are enough of those to
 * tell; where there are not, the check says so and the weights fall back to the shared ones.
 */

import type { RankerWeights, ScoringModel } from '../../model/scoring.ts';
import { fullRankNdcg } from './objective.ts';
import { CROSS_FEATURES, type ValidCase } from './pools.ts';
import { bucketOf, type CaseSplit, halvesBy } from './split.ts';

/**
 * Fewest check cases (both halves together) a verdict is drawn on; fewer = `undecided`. The check
 * compares two weight sets on the same cases and asks each half to agree: below about ten cases a
 * half, one case moving a few ranks decides it.
 */
export const MIN_CHECK_CASES = 20;

/**
 * Per scenario (and `shared`, and each checked history bucket) whose stage 2 moved the weights:
 * the cases stage 2 was fitted on and the cases it was checked on, full-ranking NDCG@10 of the
 * weights without and with the cross-scenario features, and whether the latter were kept.
 * `undecided`: fewer than the minimum check cases, so no verdict; the weights fall back to the
 * shared ones (see acceptCross).
 */
export type CrossCheck = Record<
  string,
  { fitCases: number; checkCases: number; own: number; fused: number; kept: boolean; undecided?: true }
>;

type Weights = Pick<RankerWeights, 'shared' | 'perScenario'>;

const same = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x === b[i]);

/** `w` with its cross-scenario features taken from `from` */
function withCrossOf(w: readonly number[], from: readonly number[]): number[] {
  return w.map((x, k) => (CROSS_FEATURES.includes(k) ? from[k]! : x));
}

/**
 * Keeps stage 2's weights for a scenario (and for `shared`) only when they beat stage 1's on the
 * full ranking of the check cases (`split.check`, held out of stage 2), on the whole and on neither
 * half (`split.checkHalf`) less: the pools hold each feature's top items, so a model with more
 * features meets relatively fewer of its real competitors there and the pool score flatters it.
 * Scenarios whose stage 2 changed nothing keep stage 1 without a check (one scenario, or the model
 * alone: the cross features are all 0). A history bucket's weights are kept under the same rule
 * against what its scenario kept, on the check cases of that bucket.
 *
 * Fewer than `minCheckCases` check cases decide nothing (`undecided`): `shared` then stays stage
 * 1's, a scenario is served with the shared verdict (the shared weights, or its own stage-1 weights
 * with the shared cross-scenario ones), a bucket with its scenario's. `m` is read at its own decay.
 */
export function acceptCross(
  m: ScoringModel,
  cases: readonly ValidCase[],
  split: Pick<CaseSplit, 'fit' | 'check' | 'checkHalf' | 'counts'>,
  own: Weights,
  cross: Weights & { perBucket: Record<string, number[]> },
  minCheckCases: number,
  signal?: AbortSignal,
  onProgress?: (done: number, total: number, label: string) => void,
): { ranker: Weights; check: CrossCheck; unchanged: boolean } {
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
  // an undecided scenario's weights when the shared cross-scenario weights are kept
  const fallbackOf = (s: string) =>
    own.perScenario[s] ? withCrossOf(own.perScenario[s]!, cross.shared) : cross.shared;
  // [stage 1 of the case's scenario, stage 2 of it, stage 1 shared, stage 2 shared, its bucket's,
  //  its scenario's fallback]
  const scores = fullRankNdcg(
    m,
    checkCases,
    (c) => [
      ownOf(c.scenario),
      crossOf(c.scenario),
      own.shared,
      cross.shared,
      cross.perBucket[bucketOf(c)] ?? crossOf(c.scenario),
      fallbackOf(c.scenario),
    ],
    signal,
    (d, t) => onProgress?.(d, t, 'full-ranking check of the cross-scenario weights'),
  );
  const verdict = (key: string, keep: (c: ValidCase) => boolean, a: number, b: number) => {
    const at = checkCases.map((_, i) => i).filter((i) => keep(checkCases[i]!));
    const rows = at.map((i) => scores[i]!);
    const halves = halvesBy(
      rows,
      at.map((i) => split.checkHalf[i]!),
    );
    const mean = (xs: number[][], k: number) => xs.reduce((s, x) => s + x[k]!, 0) / Math.max(1, xs.length);
    const undecided = rows.length < minCheckCases || halves.some((h) => h.length === 0);
    const kept = !undecided && mean(rows, b) > mean(rows, a) && halves.every((h) => mean(h, b) >= mean(h, a));
    check[key] = {
      fitCases: key === 'shared' ? split.fit.length : (split.counts[key]?.fit ?? 0),
      checkCases: rows.length,
      own: Number(mean(rows, a).toFixed(4)),
      fused: Number(mean(rows, b).toFixed(4)),
      kept,
      ...(undecided ? { undecided: true as const } : {}),
    };
    return check[key]!;
  };
  const shared = sharedChanged ? verdict('shared', () => true, 2, 3) : undefined;
  const finalShared = shared?.kept ? cross.shared : own.shared;
  const perScenario: Record<string, number[]> = {};
  for (const s of m.scenarios) {
    let w = ownOf(s);
    let column = 0;
    if (changed.has(s)) {
      const v = verdict(s, (c) => c.scenario === s, 0, 1);
      if (v.kept) {
        w = cross.perScenario[s]!;
        column = 1;
      } else if (v.undecided && shared?.kept) {
        w = fallbackOf(s);
        column = 5;
      }
    }
    if (own.perScenario[s] || !same(w, finalShared)) perScenario[s] = w;
    for (const key of Object.keys(cross.perBucket).sort()) {
      const bw = cross.perBucket[key]!;
      if (scenarioOfKey(key) !== s || same(bw, w)) continue;
      // the bucket's cases were scored with the scenario's stage 2 where its weights did not change
      const v = verdict(key, (c) => bucketOf(c) === key, column, 4);
      if (v.kept) perScenario[key] = bw;
    }
  }
  return { ranker: { shared: finalShared, perScenario }, check, unchanged: false };
}
