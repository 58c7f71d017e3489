/**
 * Preparing one request for scoring: from a profile, the collaborative evidence over all items
 * (sparse accumulators, max-normalised within the scenario), the profile's text vectors, the
 * sequential model's state, the context keys and the ranker weights that apply. The features
 * (`features.ts`) and scores (`score.ts`) are read from the query this builds.
 */
import type { Context } from '../core/types.ts';
import { foldIn } from '../model/als.ts';
import { contextKeys } from '../model/context.ts';
import { spreadMarked } from '../model/graph.ts';
import { historyBucketKey, type ScoringModel } from '../model/scoring.ts';
import { crossUserScores, userKeyHash } from '../model/users.ts';
import type { HistoryEntry, UserProfile } from '../profile/types.ts';
import type { SeqFeature } from '../seq/feature.ts';
import { dense, normaliseInScenario, type QueryScratch } from './dense.ts';
import { likedItems, ownCountOf, ownHistory, recentText, scenarioRecency, seqEntries } from './history.ts';
import type { Query, QueryOptions } from './query-types.ts';

// the scoring verbs, where callers have always found them
export { QueryScratch } from './dense.ts';
export { featuresOf } from './features.ts';
export { ownCountOf, ownHistory, scenarioRecency } from './history.ts';
export type { Query, QueryOptions } from './query-types.ts';
export { baseScores, scoreCandidates, withContext } from './score.ts';

/**
 * The ranker weights a query is scored with: those of its scenario and target-history bucket, else
 * its scenario's, else the shared ones (each where it was fitted). `ownCount` = entries of the
 * target scenario in the history.
 */
export function weightsFor(m: ScoringModel, scenario: string, ownCount: number): number[] {
  const p = m.ranker.perScenario;
  return p[historyBucketKey(scenario, ownCount)] ?? p[scenario] ?? m.ranker.shared;
}

/** the sequential model's user state for the entries it reads of `entries` (none without any) */
function seqStateOf(
  seq: SeqFeature,
  entries: readonly HistoryEntry[],
  code: number,
): Float32Array | undefined {
  const items = seqEntries(entries, seq.scorer.numItems).map((h) => h.item);
  return items.length > 0 ? seq.scorer.userState(items, code) : undefined;
}

/** a request's context keys, or none when the model does not use context */
export function requestContextKeys(
  m: ScoringModel,
  context: Context | undefined,
  now: number | undefined,
): string[] {
  return m.useContext ? contextKeys(context, now) : [];
}

const NO_SCORES: ReadonlyMap<number, number> = new Map();

export function prepareQuery(
  m: ScoringModel,
  profile: UserProfile,
  opts: QueryOptions,
  scratch?: QueryScratch,
): Query {
  const code = m.scenarios.indexOf(opts.scenario);
  const n = m.numItems;
  const lent = scratch?.borrow(n);
  const { arrays, mark, touched: buffer } = lent ?? dense(n);
  const [knnSame, knnCross, trans, ease, transCross, easeFused, attr, attrLast, attrCross] = arrays;
  // every item any accumulator touched, once each (in the order first touched): buffer[0..count)
  let count = 0;
  const hist = profile.history;
  const recency = scenarioRecency(hist, m.ranker.decay);
  const own = ownHistory(hist, opts.scenario);
  // the history spans the target and other scenarios
  const mixed = own !== hist;
  // any entry outside the target scenario (a mixed history, or a cold start served from the others)
  const other = mixed || (hist.length > 0 && hist[0]!.scenario !== opts.scenario);
  const { knn, ease: easeGraph, easeFused: easeFusedGraph, trans: transGraph, attr: attrGraph } = m.graphs;
  for (let i = 0; i < hist.length; i++) {
    const h = hist[i]!;
    const w = h.weight * recency[i]!;
    if (w === 0) continue;
    count = spreadMarked(
      knn,
      h.item,
      w,
      h.scenario === opts.scenario ? knnSame : knnCross,
      mark,
      buffer,
      count,
    );
    // EASE is a model of which items explain which: it wants the history as a set, not its strength
    if (w > 0) count = spreadMarked(easeGraph, h.item, recency[i]!, ease, mark, buffer, count);
    // the model fitted over all scenarios together: a cross-scenario feature (0 without another scenario)
    if (w > 0 && other && easeFusedGraph)
      count = spreadMarked(easeFusedGraph, h.item, recency[i]!, easeFused, mark, buffer, count);
    // items sharing metadata with the target scenario's entries; with the other scenarios' entries,
    // through the graph's links across scenarios (a cross-scenario feature)
    if (w > 0 && attrGraph)
      count = spreadMarked(
        attrGraph,
        h.item,
        w,
        h.scenario === opts.scenario ? attr : attrCross,
        mark,
        buffer,
        count,
      );
  }
  // transitions from the last few items of the target scenario, most recent strongest
  const last = own.slice(-3);
  last.forEach((h, i) => {
    if (h.weight <= 0) return;
    const w = 0.5 ** (last.length - 1 - i);
    count = spreadMarked(transGraph, h.item, w, trans, mark, buffer, count);
    if (attrGraph) count = spreadMarked(attrGraph, h.item, w, attrLast, mark, buffer, count);
  });
  // what follows the last few items of the whole history, whichever scenario they are in (a
  // cross-scenario feature: only when the history spans the target and another scenario)
  if (mixed) {
    const lastAll = hist.slice(-3);
    lastAll.forEach((h, i) => {
      if (h.weight <= 0) return;
      count = spreadMarked(
        transGraph,
        h.item,
        0.5 ** (lastAll.length - 1 - i),
        transCross,
        mark,
        buffer,
        count,
      );
    });
  }
  // a view, not a copy: the buffer is the scratch's and is reused once the query is released
  const touched = buffer.subarray(0, count);
  const [nSame, nCross, nTrans, nEase, nTransCross, nEaseFused, nAttr, nAttrLast, nAttrCross] =
    normaliseInScenario(
      [knnSame, knnCross, trans, ease, transCross, easeFused, attr, attrLast, attrCross],
      touched,
      m,
      code,
    );
  const norms = {
    knnSame: nSame!,
    knnCross: nCross!,
    trans: nTrans!,
    ease: nEase!,
    transCross: nTransCross!,
    easeFused: nEaseFused!,
    attr: nAttr!,
    attrLast: nAttrLast!,
    attrCross: nAttrCross!,
  };

  const vecs = (cs: UserProfile['interests']) =>
    cs.filter((c) => c.vector.length === m.dim).map((c) => c.vector);
  const fusedInterests = vecs(profile.interests);
  // the target scenario's own interests when it has history (what the model alone would see);
  // the fused ones then become the separate `textFused` feature
  const interests = mixed ? vecs(profile.perScenario[opts.scenario] ?? profile.interests) : fusedInterests;
  const negatives: Float32Array[] = [];
  const { recentVec, lastVec } = recentText(m, own, negatives);
  // the recent items of the whole history, when it spans the target and other scenarios
  const fusedRecentVec = m.useText && mixed ? recentText(m, hist, []).recentVec : undefined;
  const ownCount = ownCountOf(hist, opts.scenario);
  // the latent models' user vectors: each scenario's own model from the target scenario's entries
  // (none in a cold start), the model of every scenario from the whole history (a cross-scenario
  // feature: only when the history holds another scenario)
  const { als, alsFused } = m.graphs;
  const alsUser = als && ownCount > 0 ? foldIn(als, likedItems(own)) : undefined;
  const alsFusedUser = alsFused && other ? foldIn(alsFused, likedItems(hist)) : undefined;
  // the users most like this one in the other scenarios (a cross-scenario feature: their entries only)
  const users = m.graphs.users;
  const usersCross =
    users && other && code >= 0
      ? crossUserScores(
          users,
          m.scenarioCode,
          hist.filter((h) => h.scenario !== opts.scenario && h.weight > 0).map((h) => h.item),
          code,
          profile.user ? userKeyHash(profile.user) : 0,
        )
      : NO_SCORES;
  const weights = weightsFor(m, opts.scenario, ownCount);
  // the sequential model from the whole history; or, read per scenario (train.seqFused) as the
  // latent model is, from the target scenario's entries and (cross-scenario) from the whole history
  const seq = code >= 0 ? m.seq : undefined;
  const seqState =
    seq && (!seq.fused || ownCount > 0) ? seqStateOf(seq, seq.fused ? own : hist, code) : undefined;
  const seqFusedState = seq?.fused && other ? seqStateOf(seq, hist, code) : undefined;
  const q: Query = {
    model: m,
    profile,
    scenario: opts.scenario,
    scenarioCode: code,
    knnSame,
    knnCross,
    trans,
    transCross,
    ownCount,
    ease,
    easeFused,
    attr,
    attrLast,
    attrCross,
    other,
    touched,
    alsUser,
    alsFusedUser,
    usersCross,
    interestVecs: m.useText ? interests : [],
    fusedVecs: m.useText && mixed ? fusedInterests : [],
    own,
    recentVec,
    fusedRecentVec,
    lastVec,
    negatives,
    ctxKeys: requestContextKeys(m, opts.context, opts.now),
    weights,
    recency,
    seqState,
    seqFusedState,
    norms,
  };
  if (lent) scratch!.lend(q);
  return q;
}
