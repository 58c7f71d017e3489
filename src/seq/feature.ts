/**
 * The sequential model as one ranker feature: the model's score of a candidate for the request's
 * history, times a fixed scale (1 / the spread of its scores within a query on valid histories),
 * so the ranker's coordinate ascent sees it on the same footing as the [0, 1] features.
 */
import { seededSample } from '../core/rng.ts';
import { scorerOfModels } from './ensemble.ts';
import type { SeqScoring } from './scorer.ts';
import type { SeqCase, SeqModel } from './types.ts';

export interface SeqFeature {
  scorer: SeqScoring;
  /** multiplies the raw score */
  scale: number;
  /**
   * `seq` reads the target scenario's entries and `seqFused` the whole history (train.seqFused);
   * false: `seq` reads the whole history
   */
  fused: boolean;
}

/**
 * 1 / the root mean within-query variance of the scores (a seeded sample of at most 200 cases, not
 * the first 200: the fitting cases come grouped, validation split first, and a split's lines can
 * run by scenario; 1000 items each)
 */
function featureScaleOf(scorer: SeqScoring, cases: readonly SeqCase[], itemScenario: Uint16Array): number {
  let sum = 0;
  let n = 0;
  for (const c of seededSample(cases, 200, 0x5ca1e)) {
    const s = itemScenario[c.target]!;
    const z = scorer.userState(c.hist, s);
    if (!z) continue;
    let m1 = 0;
    let m2 = 0;
    let k = 0;
    const step = Math.max(1, Math.floor(itemScenario.length / 1000));
    for (let i = 0; i < itemScenario.length; i += step) {
      if (itemScenario[i] !== s) continue;
      const v = scorer.score(z, i);
      m1 += v;
      m2 += v * v;
      k++;
    }
    if (k < 2) continue;
    sum += m2 / k - (m1 / k) ** 2;
    n++;
  }
  const sd = n > 0 ? Math.sqrt(sum / n) : 1;
  return sd > 1e-9 ? 1 / sd : 1;
}

/** the feature of one trained model or of an ensemble (the mean of its models' scores) */
export function seqFeatureOf(
  models: SeqModel | readonly SeqModel[],
  cases: readonly SeqCase[],
  fused: boolean,
  scale?: number,
): SeqFeature {
  const scorer = scorerOfModels(models);
  const first = Array.isArray(models) ? models[0]! : (models as SeqModel);
  return { scorer, scale: scale ?? featureScaleOf(scorer, cases, first.scenario), fused };
}
