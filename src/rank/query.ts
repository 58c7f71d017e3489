/**
 * Scoring one request: from a profile, the collaborative evidence over all items (sparse), the
 * text evidence per candidate (dense dot products), context lifts, and the ranker's linear
 * combination. `scoreCandidates` is the one code path used by `engine.recommend` (on retrieved
 * candidates) and by the evaluation adapter (on every item of the target scenario).
 */
import type { Context } from '../core/types.ts';
import { recencyWeights } from '../profile/interests.ts';
import type { UserProfile } from '../profile/types.ts';
import { spread } from '../train/graph.ts';
import { contextKeys, contextLifts } from './context.ts';
import { FEATURES, NUM_FEATURES, type ScoringModel, vectorOf } from './model.ts';

/** by name, so features appended after it by others do not move it */
const SEQ = FEATURES.indexOf('seq');

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
  /** EASE evidence from the whole history (all scenarios when the model was trained fused) */
  ease: Float32Array;
  /** items with any collaborative evidence */
  touched: number[];
  interestVecs: Float32Array[];
  recentVec: Float32Array | undefined;
  /** vector of the most recent positively engaged item */
  lastVec: Float32Array | undefined;
  negatives: Float32Array[];
  ctxKeys: string[];
  weights: number[];
  /** recency weight per history position, for explanations */
  recency: Float64Array;
  /** the sequential model's user state for the target scenario (absent: no model or history) */
  seqState: Float32Array | undefined;
  /** the divisors of the collaborative features, for explanations */
  norms: { knnSame: number; knnCross: number; trans: number; ease: number };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function normaliseInScenario(
  a: Float32Array,
  touched: readonly number[],
  m: ScoringModel,
  code: number,
): number {
  let max = 0;
  for (const i of touched) if (m.scenarioCode[i] === code && a[i]! > max) max = a[i]!;
  if (max > 0) for (const i of touched) a[i]! /= max;
  return max > 0 ? max : 1;
}

export function prepareQuery(m: ScoringModel, profile: UserProfile, opts: QueryOptions): Query {
  const code = m.scenarios.indexOf(opts.scenario);
  const n = m.numItems;
  const knnSame = new Float32Array(n);
  const knnCross = new Float32Array(n);
  const trans = new Float32Array(n);
  const touchedSame: number[] = [];
  const touchedCross: number[] = [];
  const touchedTrans: number[] = [];
  const ease = new Float32Array(n);
  const touchedEase: number[] = [];
  const hist = profile.history;
  const recency = recencyWeights(hist, m.ranker.decay);
  hist.forEach((h, i) => {
    const w = h.weight * recency[i]!;
    if (w === 0) return;
    if (h.scenario === opts.scenario) spread(m.graphs.knn, h.item, w, knnSame, touchedSame);
    else spread(m.graphs.knn, h.item, w, knnCross, touchedCross);
    // EASE is a model of which items explain which: it wants the history as a set, not its strength
    if (w > 0) spread(m.graphs.ease, h.item, recency[i]!, ease, touchedEase);
  });
  // transitions from the last few items, most recent strongest
  const last = hist.slice(-3);
  last.forEach((h, i) => {
    if (h.weight <= 0) return;
    spread(m.graphs.trans, h.item, 0.5 ** (last.length - 1 - i), trans, touchedTrans);
  });
  const touched = [...new Set([...touchedSame, ...touchedCross, ...touchedTrans, ...touchedEase])];
  const norms = {
    knnSame: normaliseInScenario(knnSame, touched, m, code),
    knnCross: normaliseInScenario(knnCross, touched, m, code),
    trans: normaliseInScenario(trans, touched, m, code),
    ease: normaliseInScenario(ease, touched, m, code),
  };

  const interests = profile.interests.filter((c) => c.vector.length === m.dim).map((c) => c.vector);
  let recentVec: Float32Array | undefined;
  let lastVec: Float32Array | undefined;
  const negatives: Float32Array[] = [];
  if (m.useText && m.dim > 0) {
    const acc = new Float32Array(m.dim);
    let any = false;
    let f = 1;
    for (let i = hist.length - 1, seen = 0; i >= 0 && seen < 5; i--) {
      const h = hist[i]!;
      const v = vectorOf(m, h.item);
      if (!v) continue;
      if (h.weight < 0) {
        if (negatives.length < 20) negatives.push(v);
        continue;
      }
      lastVec ??= v;
      for (let d = 0; d < m.dim; d++) acc[d]! += f * v[d]!;
      f *= 0.6;
      seen++;
      any = true;
    }
    if (any) {
      const norm = Math.sqrt(dot(acc, acc));
      if (norm > 0) for (let d = 0; d < m.dim; d++) acc[d]! /= norm;
      recentVec = acc;
    }
  }
  const weights = m.ranker.perScenario[opts.scenario] ?? m.ranker.shared;
  const seqHistory = m.seq ? hist.filter((h) => h.weight > 0 && h.item < m.seq!.scorer.numItems) : [];
  const seqState =
    m.seq && code >= 0 && seqHistory.length > 0
      ? m.seq.scorer.userState(
          seqHistory.map((h) => h.item),
          code,
        )
      : undefined;
  return {
    model: m,
    profile,
    scenario: opts.scenario,
    scenarioCode: code,
    knnSame,
    knnCross,
    trans,
    ease,
    touched,
    interestVecs: m.useText ? interests : [],
    recentVec,
    lastVec,
    negatives,
    ctxKeys: m.useContext ? contextKeys(opts.context, opts.now) : [],
    weights,
    recency,
    seqState,
    norms,
  };
}

/** the feature vector of one candidate, in FEATURES order */
export function featuresOf(q: Query, item: number, out = new Float32Array(NUM_FEATURES)): Float32Array {
  const m = q.model;
  out[0] = q.knnSame[item]!;
  out[1] = q.knnCross[item]!;
  out[2] = q.trans[item]!;
  out[3] = 0;
  out[4] = 0;
  out[7] = 0;
  out[8] = 0;
  out[10] = q.ease[item]!;
  out[11] = 0;
  // absolute collaborative evidence: lets the ranker trust text and popularity when it is thin
  out[9] = Math.log1p(q.knnSame[item]! * q.norms.knnSame + q.knnCross[item]! * q.norms.knnCross);
  const v = q.interestVecs.length > 0 || q.recentVec ? vectorOf(m, item) : undefined;
  if (v) {
    let best = -1;
    for (const c of q.interestVecs) best = Math.max(best, dot(c, v));
    out[3] = q.interestVecs.length > 0 ? best : 0;
    out[4] = q.recentVec ? dot(q.recentVec, v) : 0;
    let neg = 0;
    for (const nv of q.negatives) neg = Math.max(neg, dot(nv, v));
    out[7] = neg;
    out[8] = q.lastVec ? dot(q.lastVec, v) : 0;
    // an item no one has engaged with has only its text: a feature of its own lets the ranker
    // trust text there without trusting it everywhere
    if (m.graphs.counts[item] === 0) out[11] = Math.max(out[3], out[4]);
  }
  out[5] = m.popularity[item]!;
  let ctx = 0;
  if (q.ctxKeys.length > 0) for (const l of contextLifts(m.context, q.ctxKeys, item)) ctx += l.lift;
  out[6] = ctx;
  const seq = m.seq;
  out[SEQ] =
    q.seqState && seq && item < seq.scorer.numItems ? seq.scale * seq.scorer.score(q.seqState, item) : 0;
  return out;
}

export function linearScore(weights: readonly number[], f: Float32Array): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += (weights[i] ?? 0) * f[i]!;
  return s;
}

/** ranker scores of the candidates, in order */
export function scoreCandidates(q: Query, candidates: ArrayLike<number>): Float32Array {
  const out = new Float32Array(candidates.length);
  const f = new Float32Array(NUM_FEATURES);
  for (let i = 0; i < candidates.length; i++)
    out[i] = linearScore(q.weights, featuresOf(q, candidates[i]!, f));
  return out;
}
