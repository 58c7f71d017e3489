/**
 * Scoring one request: from a profile, the collaborative evidence over all items (sparse), the
 * text evidence per candidate (dense dot products), context lifts, and the ranker's linear
 * combination. `scoreCandidates` is the one code path used by `engine.recommend` (on retrieved
 * candidates) and by the evaluation adapter (on every item of the target scenario).
 */
import type { Context } from '../core/types.ts';
import { dot, dotAt } from '../core/vec.ts';
import type { HistoryEntry, UserProfile } from '../profile/types.ts';
import { spreadMarked } from '../train/graph.ts';
import { contextKeys, logLift } from './context.ts';
import { FEATURES, historyBucketKey, NUM_FEATURES, type ScoringModel, vectorOf } from './model.ts';

/** by name, so features appended after them by others do not move them */
const SEQ = FEATURES.indexOf('seq');
const TEXT_FUSED = FEATURES.indexOf('textFused');
const TRANS_CROSS = FEATURES.indexOf('transCross');
const TEXT_RECENT_FUSED = FEATURES.indexOf('textRecentFused');
const KNN_CROSS_THIN = FEATURES.indexOf('knnCrossThin');
const EASE_FUSED = FEATURES.indexOf('easeFused');
const COLD_TEXT = FEATURES.indexOf('coldText');
/** history length in the target scenario at which `knnCrossThin` keeps half of `knnCross` */
const THIN_HISTORY = 3;

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
  /** items with any collaborative evidence */
  touched: Int32Array;
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
  /** the sequential model's user state for the target scenario (absent: no model or history) */
  seqState: Float32Array | undefined;
  /** the divisors of the collaborative features, for explanations */
  norms: {
    knnSame: number;
    knnCross: number;
    trans: number;
    ease: number;
    transCross: number;
    easeFused: number;
  };
  /** text features already computed for this profile (the engine attaches one per cached profile) */
  textMemo?: TextMemo | undefined;
  /**
   * Serving only: text features whose weight is 0 are left at 0 instead of computed (each is a
   * 512-d dot product per candidate). The evaluation and the ranker fit need every feature, so the
   * default is to compute all.
   */
  weightedOnly?: boolean | undefined;
  /** `weightedOnly` resolved against the weights, on first use */
  textNeed?: ((feature: number) => boolean) | undefined;
}

/** positions of the text features a TextMemo keeps */
const TEXT = (
  ['textInterest', 'textRecent', 'negative', 'textLast', 'textFused', 'textRecentFused'] as const
).map((f) => FEATURES.indexOf(f));
const NT = TEXT.length;

/**
 * Text features per item, for one profile. Each item's values are those of a request in the item's
 * own scenario (`featuresOf` bypasses the memo otherwise): the same-scenario text features read
 * the target scenario's history, so they depend on the scenario asked for.
 */
export class TextMemo {
  private readonly slots = new Map<number, number>();
  // grown by doubling: a served profile scores about a hundred items per scenario
  private values = new Float32Array(NT * 128);

  constructor(private readonly maxItems = 8192) {}

  /** copies the item's memoised text features into `out`; false when there are none */
  read(item: number, out: Float32Array): boolean {
    const slot = this.slots.get(item);
    if (slot === undefined) return false;
    const o = slot * NT;
    for (let k = 0; k < NT; k++) out[TEXT[k]!] = this.values[o + k]!;
    return true;
  }

  write(item: number, f: Float32Array): void {
    const slot = this.slots.size;
    if (slot >= this.maxItems || this.slots.has(item)) return;
    if ((slot + 1) * NT > this.values.length) {
      const grown = new Float32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.slots.set(item, slot);
    const o = slot * NT;
    for (let k = 0; k < NT; k++) this.values[o + k] = f[TEXT[k]!]!;
  }
}

/**
 * Divides each accumulator by its largest value over the target scenario's touched items (the
 * other scenarios' items are divided too, so they compare on the same scale) and returns the
 * divisors (1 where nothing was positive). One pass for the maxima and one for the division,
 * whatever the number of accumulators.
 */
function normaliseInScenario(
  arrays: Accumulators,
  touched: ArrayLike<number>,
  m: ScoringModel,
  code: number,
): number[] {
  // six named arrays rather than a loop over them: this runs on every first request of a profile
  const [a0, a1, a2, a3, a4, a5] = arrays;
  const sc = m.scenarioCode;
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  let m5 = 0;
  for (let t = 0; t < touched.length; t++) {
    const i = touched[t]!;
    if (sc[i] !== code) continue;
    if (a0[i]! > m0) m0 = a0[i]!;
    if (a1[i]! > m1) m1 = a1[i]!;
    if (a2[i]! > m2) m2 = a2[i]!;
    if (a3[i]! > m3) m3 = a3[i]!;
    if (a4[i]! > m4) m4 = a4[i]!;
    if (a5[i]! > m5) m5 = a5[i]!;
  }
  const max = [m0, m1, m2, m3, m4, m5];
  for (let k = 0; k < 6; k++) {
    const a = arrays[k]!;
    const d = max[k]!;
    if (d > 0) for (let t = 0; t < touched.length; t++) a[touched[t]!]! /= d;
    else max[k] = 1;
  }
  return max;
}

type Accumulators = [
  knnSame: Float32Array,
  knnCross: Float32Array,
  trans: Float32Array,
  ease: Float32Array,
  transCross: Float32Array,
  easeFused: Float32Array,
];

/** a query's dense arrays: the six accumulators, the marks of the items in `touched` and its buffer */
interface Dense {
  arrays: Accumulators;
  mark: Uint8Array;
  touched: Int32Array;
}

function dense(n: number): Dense {
  return {
    arrays: [
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
    ],
    mark: new Uint8Array(n),
    touched: new Int32Array(n),
  };
}

/**
 * The dense arrays of a query, lent to one query at a time and cleared afterwards through its
 * `touched` list: a request then allocates (and the collector frees) no numItems-long arrays.
 * Whoever borrows must `release` when done with the query.
 */
export class QueryScratch {
  private dense: Dense | undefined;
  /** the query holding the arrays; 'pending' between borrow and lend (a query that failed half-way
   * keeps them: later queries then allocate their own rather than read half-written arrays) */
  private lentTo: Query | 'pending' | undefined;

  /** the arrays when free and of the right size, else undefined (the caller allocates its own) */
  borrow(n: number): Dense | undefined {
    if (this.lentTo) return undefined;
    if (!this.dense || this.dense.mark.length !== n) this.dense = dense(n);
    this.lentTo = 'pending';
    return this.dense;
  }

  lend(q: Query): void {
    this.lentTo = q;
  }

  /** zeroes what the query wrote; its arrays must not be read afterwards */
  release(q: Query): void {
    if (this.lentTo !== q || !this.dense) return;
    const { arrays, mark } = this.dense;
    const t = q.touched;
    for (const a of arrays) for (let k = 0; k < t.length; k++) a[t[k]!] = 0;
    for (let k = 0; k < t.length; k++) mark[t[k]!] = 0;
    this.lentTo = undefined;
  }
}

/**
 * Recency weight per history position, `decay` per later entry of the same scenario: an item's
 * weight does not fade because the user was busy in another scenario since (a kitchen purchase
 * says nothing about how stale a food purchase is). One scenario: plain recency.
 */
export function scenarioRecency(history: readonly HistoryEntry[], decay: number): Float64Array {
  const out = new Float64Array(history.length);
  const f = new Map<string, number>();
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i]!.scenario;
    const v = f.get(s) ?? 1;
    out[i] = v;
    f.set(s, v * decay);
  }
  return out;
}

/** the target scenario's entries of a history, or the whole history when it has none there */
export function ownHistory(history: readonly HistoryEntry[], scenario: string): readonly HistoryEntry[] {
  const n = ownCountOf(history, scenario);
  if (n === 0 || n === history.length) return history;
  return history.filter((h) => h.scenario === scenario);
}

/**
 * The recency-weighted mean vector of the last five positively engaged items of `history` (and the
 * last one's own vector); the vectors of negative entries among them go to `negatives`.
 */
function recentText(
  m: ScoringModel,
  history: readonly HistoryEntry[],
  negatives: Float32Array[],
): { recentVec: Float32Array | undefined; lastVec: Float32Array | undefined } {
  if (!m.useText || m.dim === 0) return { recentVec: undefined, lastVec: undefined };
  const acc = new Float32Array(m.dim);
  let lastVec: Float32Array | undefined;
  let any = false;
  let f = 1;
  for (let i = history.length - 1, seen = 0; i >= 0 && seen < 5; i--) {
    const h = history[i]!;
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
  if (!any) return { recentVec: undefined, lastVec };
  const norm = Math.sqrt(dot(acc, acc));
  if (norm > 0) for (let d = 0; d < m.dim; d++) acc[d]! /= norm;
  return { recentVec: acc, lastVec };
}

/**
 * The ranker weights a query is scored with: those of its scenario and target-history bucket, else
 * its scenario's, else the shared ones (each where it was fitted). `ownCount` = entries of the
 * target scenario in the history.
 */
export function weightsFor(m: ScoringModel, scenario: string, ownCount: number): number[] {
  const p = m.ranker.perScenario;
  return p[historyBucketKey(scenario, ownCount)] ?? p[scenario] ?? m.ranker.shared;
}

/** entries of `scenario` in a history (what picks the weights' bucket) */
export function ownCountOf(history: readonly { scenario: string }[], scenario: string): number {
  let n = 0;
  for (const h of history) if (h.scenario === scenario) n++;
  return n;
}

/** a request's context keys, or none when the model does not use context */
export function requestContextKeys(
  m: ScoringModel,
  context: Context | undefined,
  now: number | undefined,
): string[] {
  return m.useContext ? contextKeys(context, now) : [];
}

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
  const [knnSame, knnCross, trans, ease, transCross, easeFused] = arrays;
  // every item any accumulator touched, once each (in the order first touched): buffer[0..count)
  let count = 0;
  const hist = profile.history;
  const recency = scenarioRecency(hist, m.ranker.decay);
  const own = ownHistory(hist, opts.scenario);
  // the history spans the target and other scenarios
  const mixed = own !== hist;
  // any entry outside the target scenario (a mixed history, or a cold start served from the others)
  const other = mixed || (hist.length > 0 && hist[0]!.scenario !== opts.scenario);
  const { knn, ease: easeGraph, easeFused: easeFusedGraph, trans: transGraph } = m.graphs;
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
  }
  // transitions from the last few items of the target scenario, most recent strongest
  const last = own.slice(-3);
  last.forEach((h, i) => {
    if (h.weight <= 0) return;
    count = spreadMarked(transGraph, h.item, 0.5 ** (last.length - 1 - i), trans, mark, buffer, count);
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
  const [nSame, nCross, nTrans, nEase, nTransCross, nEaseFused] = normaliseInScenario(
    [knnSame, knnCross, trans, ease, transCross, easeFused],
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
  const weights = weightsFor(m, opts.scenario, ownCount);
  const seqHistory = m.seq ? hist.filter((h) => h.weight > 0 && h.item < m.seq!.scorer.numItems) : [];
  const seqState =
    m.seq && code >= 0 && seqHistory.length > 0
      ? m.seq.scorer.userState(
          seqHistory.map((h) => h.item),
          code,
        )
      : undefined;
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
    touched,
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
    norms,
  };
  if (lent) scratch!.lend(q);
  return q;
}

/**
 * The request's context keys resolved against the context statistics once per scoring pass: the
 * per-key maps and shares `contextLifts` would look up again for every candidate.
 */
export interface ResolvedContext {
  keys: { counts: Map<number, number> | undefined; share: number }[];
  items: Map<number, number>;
}

export function resolveContext(q: Query): ResolvedContext | undefined {
  return resolveContextKeys(q.model, q.ctxKeys);
}

/** the same, from the model and the request's context keys alone (no query needed) */
export function resolveContextKeys(m: ScoringModel, ctxKeys: readonly string[]): ResolvedContext | undefined {
  const stats = m.context;
  if (ctxKeys.length === 0 || stats.all === 0) return undefined;
  const keys: ResolvedContext['keys'] = [];
  for (const k of ctxKeys) {
    const total = stats.totals.get(k);
    if (!total) continue;
    keys.push({ counts: stats.counts.get(k), share: total / stats.all });
  }
  return { keys, items: stats.items };
}

/** summed log-lift of the item over the context keys: the same sum as `contextLifts`, without its allocations */
export function contextScore(c: ResolvedContext, item: number): number {
  let ctx = 0;
  const itemCount = c.items.get(item) ?? 0;
  for (const k of c.keys) ctx += logLift(k.counts?.get(item) ?? 0, itemCount, k.share);
  return ctx;
}

/** which text features a query computes (all, unless `weightedOnly`): decided once per query */
function textNeedOf(q: Query): (f: number) => boolean {
  if (!q.weightedOnly) return () => true;
  const nonzero = q.weights.map((x) => (x ?? 0) !== 0);
  return (f) => nonzero[f] ?? false;
}

/** dot product of a query vector with the item row starting at `off` (same summation order as `dot`) */
/**
 * The feature vector of one candidate, in FEATURES order. `ctx` is the request's resolved context
 * (`scoreCandidates` resolves it once per pass; a single call resolves it here; null leaves the
 * context feature at 0).
 */
export function featuresOf(
  q: Query,
  item: number,
  out = new Float32Array(NUM_FEATURES),
  ctx: ResolvedContext | null | undefined = resolveContext(q),
): Float32Array {
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
  // absolute collaborative evidence: lets the ranker trust text and popularity when it is thin; the
  // target scenario's own where it has history (as alone), the other scenarios' in a cold start
  out[9] = Math.log1p(
    q.ownCount > 0 ? q.knnSame[item]! * q.norms.knnSame : q.knnCross[item]! * q.norms.knnCross,
  );
  out[EASE_FUSED] = q.easeFused[item]!;
  out[TEXT_FUSED] = 0;
  out[TEXT_RECENT_FUSED] = 0;
  out[TRANS_CROSS] = q.transCross[item]!;
  // the other scenarios' co-occurrence evidence, the more the thinner the target's own history
  out[KNN_CROSS_THIN] = (q.knnCross[item]! * THIN_HISTORY) / (THIN_HISTORY + q.ownCount);
  // the memo holds values computed in the item's own scenario (the text features depend on it)
  const memo = m.scenarioCode[item] === q.scenarioCode ? q.textMemo : undefined;
  if (
    (q.interestVecs.length > 0 || q.recentVec || q.fusedRecentVec) &&
    m.hasVector[item] &&
    !memo?.read(item, out)
  ) {
    // the item's row read in place (no subarray per candidate)
    const rows = m.vectors;
    const off = item * m.dim;
    q.textNeed ??= textNeedOf(q);
    const need = q.textNeed;
    // coldText is the better of textInterest and textRecent
    const cold = need(COLD_TEXT);
    let best = -1;
    if (cold || need(3)) for (const c of q.interestVecs) best = Math.max(best, dotAt(c, rows, off));
    out[3] = q.interestVecs.length > 0 && (cold || need(3)) ? best : 0;
    out[4] = q.recentVec && (cold || need(4)) ? dotAt(q.recentVec, rows, off) : 0;
    let neg = 0;
    if (need(7)) for (const nv of q.negatives) neg = Math.max(neg, dotAt(nv, rows, off));
    out[7] = neg;
    out[8] = q.lastVec && need(8) ? dotAt(q.lastVec, rows, off) : 0;
    // interests over every scenario: what the other scenario adds to the target's own (0 without one)
    let fused = q.fusedVecs.length > 0 && need(TEXT_FUSED) ? -1 : 0;
    if (need(TEXT_FUSED)) for (const c of q.fusedVecs) fused = Math.max(fused, dotAt(c, rows, off));
    out[TEXT_FUSED] = fused;
    out[TEXT_RECENT_FUSED] =
      q.fusedRecentVec && need(TEXT_RECENT_FUSED) ? dotAt(q.fusedRecentVec, rows, off) : 0;
    memo?.write(item, out);
  }
  // an item no one has engaged with has only its text: a feature of its own lets the ranker
  // trust text there without trusting it everywhere (after the memo: counts change, the memo does not)
  if (m.hasVector[item] && m.graphs.counts[item] === 0 && (q.interestVecs.length > 0 || q.recentVec))
    out[11] = Math.max(out[3], out[4]);
  out[5] = m.popularity[item]!;
  out[6] = ctx ? contextScore(ctx, item) : 0;
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

/** by name, like SEQ */
const CONTEXT = FEATURES.indexOf('context');

/**
 * The context-free part of the candidates' ranker scores: every feature but `context`. It depends
 * on the profile, the scenario and the model only, so the engine keeps it across a profile's
 * requests; `withContext` adds the request's context.
 */
export function baseScores(q: Query, candidates: ArrayLike<number>): Float32Array {
  const out = new Float32Array(candidates.length);
  const f = new Float32Array(NUM_FEATURES);
  for (let i = 0; i < candidates.length; i++) {
    // null: no context (undefined would resolve the query's own)
    featuresOf(q, candidates[i]!, f, null);
    out[i] = linearScore(q.weights, f);
  }
  return out;
}

/** base scores plus the context feature's share: the ranker's linear score of each candidate */
export function withContext(
  m: ScoringModel,
  weights: readonly number[],
  ctxKeys: readonly string[],
  candidates: ArrayLike<number>,
  base: Float32Array,
): Float32Array {
  const ctx = resolveContextKeys(m, ctxKeys);
  const w = weights[CONTEXT] ?? 0;
  if (!ctx || w === 0) return base.slice();
  const out = new Float32Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) out[i] = base[i]! + w * contextScore(ctx, candidates[i]!);
  return out;
}

/** ranker scores of the candidates, in order (context-free part, then the context's share) */
export function scoreCandidates(q: Query, candidates: ArrayLike<number>): Float32Array {
  return withContext(q.model, q.weights, q.ctxKeys, candidates, baseScores(q, candidates));
}
