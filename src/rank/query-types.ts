/**
 * The query one request is scored with (built by `prepareQuery` in query.ts): the profile's
 * evidence over all items and its vectors, read by the feature writers and the retrievers.
 */
import type { Context } from '../core/types.ts';
import type { FeatureName, ScoringModel } from '../model/scoring.ts';
import type { HistoryEntry, UserProfile } from '../profile/types.ts';

/** text features already computed for one profile, per item (TextMemo in features.ts) */
export interface TextFeatureMemo {
  /** copies the item's memoised text features into `out`; false when there are none */
  read(item: number, out: Float32Array): boolean;
  write(item: number, f: Float32Array): void;
}

export interface QueryOptions {
  scenario: string;
  context?: Context | undefined;
  /** request time, for hour/weekday when the context does not carry them */
  now?: number | undefined;
}

export interface Query {
  model: ScoringModel;
  profile: UserProfile;
  scenario: string;
  scenarioCode: number;
  /** collaborative evidence over all items, each max-normalised within the scenario */
  knnSame: Float32Array;
  knnCross: Float32Array;
  trans: Float32Array;
  /** transitions from the last items of the whole history (0 unless it spans several scenarios) */
  transCross: Float32Array;
  /** entries of the target scenario in the history (0: served from the other scenarios) */
  ownCount: number;
  /** EASE evidence: each scenario's own model, so from the target scenario's entries */
  ease: Float32Array;
  /** the cross-scenario EASE model's evidence from the whole history (0 without another scenario in it) */
  easeFused: Float32Array;
  /** the attribute graph's evidence from the target scenario's entries, recency-weighted as knnSame */
  attr: Float32Array;
  /** the same from the last few entries of the target scenario, most recent strongest (as trans) */
  attrLast: Float32Array;
  /** metadata shared with the other scenarios' history items (the attribute graph's links across scenarios) */
  attrCross: Float32Array;
  /** whether the history holds an entry outside the target scenario */
  other: boolean;
  /** items with any collaborative evidence */
  touched: Int32Array;
  /** the scenario's own latent model's user vector, from `own` (absent: no model or no own entry) */
  alsUser: Float32Array | undefined;
  /** the latent model of every scenario's user vector, from the whole history when it holds another scenario */
  alsFusedUser: Float32Array | undefined;
  /**
   * the target scenario's items scored by the training users most like the request outside it
   * (model/users.ts), in (0, 1]; empty without such users or without history in another scenario
   */
  usersCross: ReadonlyMap<number, number>;
  interestVecs: Float32Array[];
  /** interests over the whole history when it spans the target and other scenarios, else empty */
  fusedVecs: Float32Array[];
  /**
   * The history the same-scenario features read (transitions, recent and last item, negatives):
   * the target scenario's entries, or the whole history when it has none there (cold start).
   */
  own: readonly HistoryEntry[];
  recentVec: Float32Array | undefined;
  /** the same over the whole history when it spans several scenarios, else undefined */
  fusedRecentVec: Float32Array | undefined;
  /** vector of the most recent positively engaged item */
  lastVec: Float32Array | undefined;
  negatives: Float32Array[];
  ctxKeys: string[];
  weights: number[];
  /** recency weight per history position, counted within the entry's own scenario */
  recency: Float64Array;
  /**
   * the sequential model's user state for the target scenario from its own entries (absent: no
   * model, or no history there)
   */
  seqState: Float32Array | undefined;
  /** the same model's state from the whole history, where it holds another scenario (else absent) */
  seqFusedState: Float32Array | undefined;
  /** the divisors of the collaborative features, for explanations */
  norms: {
    knnSame: number;
    knnCross: number;
    trans: number;
    ease: number;
    transCross: number;
    easeFused: number;
    attr: number;
    attrLast: number;
    attrCross: number;
  };
  /** text features already computed for this profile (the engine attaches one per cached profile) */
  textMemo?: TextFeatureMemo | undefined;
  /**
   * Serving only: text features whose weight is 0 are left at 0 instead of computed (each is a
   * 512-d dot product per candidate). The evaluation and the ranker fit need every feature, so the
   * default is to compute all.
   */
  weightedOnly?: boolean | undefined;
  /** `weightedOnly` resolved against the weights, on first use */
  textNeed?: ((feature: FeatureName) => boolean) | undefined;
}
