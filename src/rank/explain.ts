/**
 * Structured reasons for one scored item, decomposed from the same features the ranker used: which
 * past items carried the score (through co-occurrence, transitions or text similarity), which
 * interest it matches, and which context features moved it.
 */
import { dotAt, dotRows } from '../core/vec.ts';
import { type AlsModel, alsShares } from '../model/als.ts';
import { contextLifts } from '../model/context.ts';
import { edgeWeight } from '../model/graph.ts';
import { type FeatureName, type ScoringModel, weightOf } from '../model/scoring.ts';
import { crossUserShares, userKeyHash } from '../model/users.ts';
import type { HistoryEntry, InterestCentre } from '../profile/types.ts';
import { featuresOf, linearScore, THIN_HISTORY } from './features.ts';
import { likedItems, recentParts, seqEntries } from './history.ts';
import type { Query } from './query.ts';

export interface ItemExplanation {
  score: number;
  interest?: { id: string; label: string; weight: number; similarity: number };
  /** past items by contribution, best first; `share` of the score each carried */
  history: { item: number; scenario: string; share: number; contribution: number }[];
  context: { feature: string; value: string; effect: number }[];
}

/**
 * The context-free part of an explanation: what depends on the profile, the scenario and the model
 * only (the engine keeps it across a profile's requests); `finishExplanation` adds the request's
 * context and the shares, which depend on the final score.
 */
export interface ExplanationBase {
  item: number;
  /** the ranker's score without the context feature */
  baseScore: number;
  interest?: ItemExplanation['interest'];
  /** the strongest positive history contributions, best first */
  positive: { item: number; scenario: string; contribution: number }[];
  /** the sum of all positive history contributions */
  positiveSum: number;
}

export function explainItem(q: Query, item: number, maxHistory = 3): ItemExplanation {
  return finishExplanation(q.model, q.weights, q.ctxKeys, explainBase(q, item, maxHistory));
}

export function finishExplanation(
  m: ScoringModel,
  weights: readonly number[],
  ctxKeys: readonly string[],
  base: ExplanationBase,
): ItemExplanation {
  const wCtx = weightOf(weights, 'context');
  const lifts = contextLifts(m.context, ctxKeys, base.item);
  let ctx = 0;
  for (const l of lifts) ctx += l.lift;
  // the same sum as the scoring path: base first, then the context's share
  const score = base.baseScore + wCtx * ctx;
  const denom = Math.max(Math.abs(score), base.positiveSum, 1e-9);
  const history = base.positive.map((e) => ({
    item: e.item,
    scenario: e.scenario,
    share: e.contribution / denom,
    contribution: e.contribution,
  }));
  const context = lifts.map(({ key, lift }) => {
    const [feature, value] = key.split('=') as [string, string];
    return { feature, value, effect: wCtx * lift };
  });
  return {
    score,
    ...(base.interest ? { interest: base.interest } : {}),
    history,
    context,
  };
}

/** the interest whose vector sits closest to the item's row at `off`, with that similarity */
function nearest(centres: readonly InterestCentre[], m: ScoringModel, off: number) {
  let best: InterestCentre | undefined;
  let bestS = Number.NEGATIVE_INFINITY;
  for (const c of centres) {
    if (c.vector.length !== m.dim) continue;
    const s = dotAt(c.vector, m.vectors, off);
    if (s > bestS) {
      bestS = s;
      best = c;
    }
  }
  return best ? { ...best, similarity: bestS } : undefined;
}

export function explainBase(q: Query, item: number, maxHistory = 3): ExplanationBase {
  const m = q.model;
  const w = (f: FeatureName) => weightOf(q.weights, f);
  const f = featuresOf(q, item, undefined, null);
  const baseScore = linearScore(q.weights, f);
  // the item's row is read in place (explanations run for every recommended item)
  const v = m.hasVector[item]! !== 0;
  const off = item * m.dim;
  // the interest shown: the nearest centre where the query reads interest vectors
  let interest: ItemExplanation['interest'];
  const centres = q.profile.interests;
  // the fused profile's centre nearest the item: the interest shown, and the one whose members the
  // interest text features are credited to (searched only where the query reads interest vectors)
  const closest =
    v && (q.interestVecs.length > 0 || q.fusedVecs.length > 0) ? nearest(centres, m, off) : undefined;
  if (v && q.interestVecs.length > 0) {
    if (closest) {
      const { id, label, weight, similarity } = closest;
      interest = { id, label, weight, similarity };
    }
  } else {
    const c = centres.find((x) => (x.scenarioMix[q.scenario] ?? 0) > 0) ?? centres[0];
    if (c) interest = { id: c.id, label: c.label, weight: c.weight, similarity: 0 };
  }
  const byItem = new Map<number, { scenario: string; c: number }>();
  const add = (it: number, scenario: string, c: number) => {
    if (c === 0 || !Number.isFinite(c)) return;
    const e = byItem.get(it) ?? { scenario, c: 0 };
    e.c += c;
    byItem.set(it, e);
  };
  const hist = q.profile.history;
  const wSame = w('knnSame') / q.norms.knnSame;
  // the features built on the other scenarios' co-occurrence (features.ts) add to its weight here
  const wCross =
    (w('knnCross') + (w('knnCrossThin') * THIN_HISTORY) / (THIN_HISTORY + q.ownCount)) / q.norms.knnCross;
  // shared metadata: the recency-weighted entries, the other scenarios' through the graph's links
  // across scenarios (`attrCross`)
  const attr = m.graphs.attr;
  const wAttr = w('attr') / q.norms.attr;
  const wAttrCross = w('attrCross') / q.norms.attrCross;
  hist.forEach((h, i) => {
    const e = edgeWeight(m.graphs.knn, h.item, item);
    if (e !== 0)
      add(h.item, h.scenario, (h.scenario === q.scenario ? wSame : wCross) * h.weight * q.recency[i]! * e);
    const c = h.weight * q.recency[i]!;
    const ea = attr && c > 0 ? edgeWeight(attr, h.item, item) : 0;
    if (ea !== 0) add(h.item, h.scenario, (h.scenario === q.scenario ? wAttr : wAttrCross) * c * ea);
  });
  const wEase = w('ease') / q.norms.ease;
  // the EASE model over every scenario, where the history holds another scenario (as the feature)
  const fused = m.graphs.easeFused;
  const wEaseFused =
    fused && hist.some((h) => h.scenario !== q.scenario) ? w('easeFused') / q.norms.easeFused : 0;
  hist.forEach((h, i) => {
    if (h.weight * q.recency[i]! <= 0) return;
    const e = edgeWeight(m.graphs.ease, h.item, item);
    if (e !== 0) add(h.item, h.scenario, wEase * q.recency[i]! * e);
    const ef = wEaseFused !== 0 ? edgeWeight(fused!, h.item, item) : 0;
    if (ef !== 0) add(h.item, h.scenario, wEaseFused * q.recency[i]! * ef);
  });
  // the latent model's score, split exactly over the history items it was folded in from
  const creditLatent = (latent: AlsModel | undefined, weight: number, of: readonly HistoryEntry[]) => {
    if (!latent || weight === 0) return;
    const scenarioOf = new Map(of.map((h) => [h.item, h.scenario]));
    for (const [it, c] of alsShares(latent, likedItems(of), item)) add(it, scenarioOf.get(it)!, weight * c);
  };
  if (q.alsUser) creditLatent(m.graphs.als, w('als'), q.own);
  if (q.alsFusedUser) creditLatent(m.graphs.alsFused, w('alsFused'), hist);
  // the users most like this one elsewhere: their similarity, split over the history items they share
  const users = m.graphs.users;
  if (users && q.usersCross.has(item) && w('usersCross') !== 0) {
    const elsewhere = hist.filter((h) => h.scenario !== q.scenario && h.weight > 0);
    const scenarioOf = new Map(elsewhere.map((h) => [h.item, h.scenario]));
    const shares = crossUserShares(
      users,
      m.scenarioCode,
      elsewhere.map((h) => h.item),
      q.scenarioCode,
      item,
      q.profile.user ? userKeyHash(q.profile.user) : 0,
    );
    for (const [it, c] of shares) add(it, scenarioOf.get(it)!, w('usersCross') * c);
  }
  // transitions, shared metadata with the last items, and recent text read the target scenario's own
  // history, as the features do
  const last = q.own.slice(-3);
  last.forEach((h, i) => {
    if (h.weight <= 0) return;
    const step = 0.5 ** (last.length - 1 - i);
    const e = edgeWeight(m.graphs.trans, h.item, item);
    if (e !== 0) add(h.item, h.scenario, ((w('trans') * step) / q.norms.trans) * e);
    const ea = attr ? edgeWeight(attr, h.item, item) : 0;
    if (ea !== 0) add(h.item, h.scenario, ((w('attrLast') * step) / q.norms.attrLast) * ea);
  });
  if (q.own !== hist) {
    const lastAll = hist.slice(-3);
    lastAll.forEach((h, i) => {
      if (h.weight <= 0) return;
      const e = edgeWeight(m.graphs.trans, h.item, item);
      const c = (w('transCross') * 0.5 ** (lastAll.length - 1 - i)) / q.norms.transCross;
      if (e !== 0) add(h.item, h.scenario, c * e);
    });
  }
  if (v) {
    // text: the recent items, each by its exact share of the recent vector's similarity to the item
    const creditRecent = (weight: number, of: readonly HistoryEntry[]) => {
      if (weight === 0) return;
      for (const { entry, coef } of recentParts(m, of).parts)
        add(entry.item, entry.scenario, weight * coef * dotRows(m.vectors, entry.item * m.dim, off, m.dim));
    };
    if (q.recentVec) creditRecent(w('textRecent'), q.own);
    // the recent items of the whole history, where the history spans several scenarios (as the feature)
    if (q.fusedRecentVec) creditRecent(w('textRecentFused'), hist);
    // the interest features (`textFused` where it is computed), credited to the nearest centre's
    // members in the history by their similarity to the item
    const wInterest =
      (q.interestVecs.length > 0 ? w('textInterest') : 0) + (q.fusedVecs.length > 0 ? w('textFused') : 0);
    const members =
      wInterest !== 0 ? (closest?.members ?? []).filter((it) => m.hasVector[it]).slice(0, 10) : [];
    for (const it of members) {
      const h = hist.find((x) => x.item === it);
      if (h) add(it, h.scenario, (wInterest * dotRows(m.vectors, it * m.dim, off, m.dim)) / members.length);
    }
  }
  const seq = m.seq;
  // the sequential model's shares, each split exactly over the history items it attended to: `seq`
  // from the target scenario's entries, `seqFused` from the whole history
  const creditSeq = (weight: number, entries: readonly HistoryEntry[]) => {
    if (!seq || weight === 0 || item >= seq.scorer.numItems) return;
    const seqHist = seqEntries(entries, seq.scorer.numItems);
    const parts = seq.scorer.attribution(
      seqHist.map((h) => h.item),
      q.scenarioCode,
      item,
    );
    const off = seqHist.length - parts.length;
    parts.forEach((c, t) => {
      const h = seqHist[off + t]!;
      add(h.item, h.scenario, weight * seq.scale * c);
    });
  };
  if (q.seqState) creditSeq(w('seq'), seq?.fused ? q.own : hist);
  if (q.seqFusedState) creditSeq(w('seqFused'), hist);
  const positive = [...byItem.entries()].filter(([, e]) => e.c > 0).sort((a, b) => b[1].c - a[1].c);
  return {
    item,
    baseScore,
    ...(interest ? { interest } : {}),
    positive: positive
      .slice(0, maxHistory)
      .map(([it, e]) => ({ item: it, scenario: e.scenario, contribution: e.c })),
    positiveSum: positive.reduce((s, [, e]) => s + e.c, 0),
  };
}
