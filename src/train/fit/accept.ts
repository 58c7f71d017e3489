/**
 * The last word on the cross-scenario weights: kept only where they beat the target scenario's own
 * weights on the full ranking of held-out valid cases.
 */

import { historyBucketKey, type RankerWeights, type ScoringModel } from '../../model/scoring.ts';
import { ownCountOf } from '../../rank/query.ts';
import { halvesOf } from './ascent.ts';
import { fullRankNdcg } from './objective.ts';
import type { ValidCase } from './pools.ts';

/**
 * Per scenario (and `shared`, and each checked history bucket), full-ranking NDCG@10 of the
 * weights without and with the cross-scenario features, and whether the latter were kept.
 */
export type CrossCheck = Record<string, { own: number; fused: number; kept: boolean }>;

type Weights = Pick<RankerWeights, 'shared' | 'perScenario'>;

const same = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x === b[i]);

/**
 * Keeps stage 2's weights for a scenario (and for `shared`) only when they beat stage 1's on the
 * full ranking of held-out valid cases, on the whole and on neither half less: the pools hold each
 * feature's top items, so a model with more features meets relatively fewer of its real
 * competitors there and the pool score flatters it. Scenarios whose stage 2 changed nothing keep
 * stage 1 without a check (one scenario, or the model alone: the cross features are all 0). A
 * history bucket's weights are kept under the same rule against what its scenario kept, on the
 * held-out cases of that bucket. `m` is read at its own decay.
 */
export function acceptCross(
  m: ScoringModel,
  cases: readonly ValidCase[],
  own: Weights,
  cross: Weights & { perBucket: Record<string, number[]> },
  signal?: AbortSignal,
  onProgress?: (done: number, total: number, label: string) => void,
): { ranker: Weights; check: CrossCheck; unchanged: boolean } {
  const ownOf = (s: string) => own.perScenario[s] ?? own.shared;
  const crossOf = (s: string) => cross.perScenario[s] ?? cross.shared;
  const changed = new Set(
    m.scenarios.filter((s) => cross.perScenario[s] && !same(cross.perScenario[s]!, ownOf(s))),
  );
  const bucketOf = (c: ValidCase) => historyBucketKey(c.scenario, ownCountOf(c.profile.history, c.scenario));
  const bucketsChanged = Object.entries(cross.perBucket).some(
    ([k, w]) => !same(w, crossOf(k.split('|')[0]!)),
  );
  const sharedChanged = !same(cross.shared, own.shared);
  const check: CrossCheck = {};
  if (changed.size === 0 && !sharedChanged && !bucketsChanged)
    return { ranker: { shared: own.shared, perScenario: own.perScenario }, check, unchanged: true };
  // [stage 1 of the case's scenario, stage 2 of it, stage 1 shared, stage 2 shared, its bucket's]
  const scores = fullRankNdcg(
    m,
    cases,
    (c) => [
      ownOf(c.scenario),
      crossOf(c.scenario),
      own.shared,
      cross.shared,
      cross.perBucket[bucketOf(c)] ?? crossOf(c.scenario),
    ],
    signal,
    (d, t) => onProgress?.(d, t, 'full-ranking check of the cross-scenario weights'),
  );
  const verdict = (rows: number[][], a: number, b: number) => {
    const mean = (xs: number[][], k: number) => xs.reduce((s, x) => s + x[k]!, 0) / Math.max(1, xs.length);
    const kept = mean(rows, b) > mean(rows, a) && halvesOf(rows).every((h) => mean(h, b) >= mean(h, a));
    return { own: Number(mean(rows, a).toFixed(4)), fused: Number(mean(rows, b).toFixed(4)), kept };
  };
  const shared = sharedChanged ? verdict(scores, 2, 3) : undefined;
  if (shared) check.shared = shared;
  const finalShared = shared?.kept ? cross.shared : own.shared;
  const perScenario: Record<string, number[]> = {};
  for (const s of m.scenarios) {
    let w = ownOf(s);
    let column = 0;
    if (changed.has(s)) {
      const v = verdict(
        scores.filter((_, i) => cases[i]!.scenario === s),
        0,
        1,
      );
      check[s] = v;
      if (v.kept) {
        w = cross.perScenario[s]!;
        column = 1;
      }
    }
    if (own.perScenario[s] || !same(w, finalShared)) perScenario[s] = w;
    for (const [key, bw] of Object.entries(cross.perBucket)) {
      if (!key.startsWith(`${s}|`) || same(bw, w)) continue;
      const rows = scores.filter((_, i) => bucketOf(cases[i]!) === key);
      // the bucket's cases were scored with the scenario's stage 2 where its weights did not change
      const v = verdict(rows, column, 4);
      check[key] = v;
      if (v.kept) perScenario[key] = bw;
    }
  }
  return { ranker: { shared: finalShared, perScenario }, check, unchanged: false };
}
