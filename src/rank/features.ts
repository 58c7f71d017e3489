/**
 * The feature row of one candidate, in FEATURES order, written by named writers: collaborative
 * evidence (read from the query's sparse accumulators), text similarity (dense dot products,
 * memoised per profile), popularity, context and the sequential model. Positions are always
 * `FEATURE.<name>`, so a feature appended to FEATURES moves nothing.
 */
import { dotAt } from '../core/vec.ts';
import { alsScore } from '../model/als.ts';
import { contextScore, type ResolvedContext, resolveContextKeys } from '../model/context.ts';
import { FEATURE, type FeatureName, NUM_FEATURES } from '../model/scoring.ts';
import type { Query, TextFeatureMemo } from './query-types.ts';

/** history length in the target scenario at which `knnCrossThin` keeps half of `knnCross` */
export const THIN_HISTORY = 3;

/** the text features a TextMemo keeps, by position */
const TEXT = (
  ['textInterest', 'textRecent', 'negative', 'textLast', 'textFused', 'textRecentFused'] as const
).map((f) => FEATURE[f]);
const NT = TEXT.length;

/**
 * Text features per item, for one profile. Each item's values are those of a request in the item's
 * own scenario (`featuresOf` bypasses the memo otherwise): the same-scenario text features read
 * the target scenario's history, so they depend on the scenario asked for.
 */
export class TextMemo implements TextFeatureMemo {
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

/** the query's context keys resolved against the model's context statistics */
function resolveContext(q: Query): ResolvedContext | undefined {
  return resolveContextKeys(q.model.context, q.ctxKeys);
}

/** which text features a query computes (all, unless `weightedOnly`): decided once per query */
function textNeedOf(q: Query): (f: FeatureName) => boolean {
  if (!q.weightedOnly) return () => true;
  const nonzero = q.weights.map((x) => (x ?? 0) !== 0);
  return (f) => nonzero[FEATURE[f]] ?? false;
}

/**
 * co-occurrence, EASE, transition and attribute evidence (the query's accumulators read at the
 * item), and the latent model's predicted preference
 */
function writeCollaborative(q: Query, item: number, out: Float32Array): void {
  out[FEATURE.knnSame] = q.knnSame[item]!;
  out[FEATURE.knnCross] = q.knnCross[item]!;
  out[FEATURE.trans] = q.trans[item]!;
  out[FEATURE.ease] = q.ease[item]!;
  // absolute collaborative evidence: lets the ranker trust text and popularity when it is thin; the
  // target scenario's own where it has history (as alone), the other scenarios' in a cold start
  out[FEATURE.knnStrength] = Math.log1p(
    q.ownCount > 0 ? q.knnSame[item]! * q.norms.knnSame : q.knnCross[item]! * q.norms.knnCross,
  );
  out[FEATURE.easeFused] = q.easeFused[item]!;
  out[FEATURE.transCross] = q.transCross[item]!;
  // the other scenarios' co-occurrence evidence, the more the thinner the target's own history
  out[FEATURE.knnCrossThin] = (q.knnCross[item]! * THIN_HISTORY) / (THIN_HISTORY + q.ownCount);
  out[FEATURE.attr] = q.attr[item]!;
  out[FEATURE.attrLast] = q.attrLast[item]!;
  out[FEATURE.attrCross] = q.attrCross[item]!;
  out[FEATURE.usersCross] = q.usersCross.get(item) ?? 0;
  const { als, alsFused } = q.model.graphs;
  out[FEATURE.als] = als && q.alsUser ? alsScore(als, q.alsUser, item) : 0;
  out[FEATURE.alsFused] = alsFused && q.alsFusedUser ? alsScore(alsFused, q.alsFusedUser, item) : 0;
}

function clearText(out: Float32Array): void {
  out[FEATURE.textInterest] = 0;
  out[FEATURE.textRecent] = 0;
  out[FEATURE.negative] = 0;
  out[FEATURE.textLast] = 0;
  out[FEATURE.coldText] = 0;
  out[FEATURE.textFused] = 0;
  out[FEATURE.textRecentFused] = 0;
}

/** the text features (those a TextMemo keeps): the item's row against the profile's vectors */
function writeText(q: Query, item: number, out: Float32Array): void {
  const m = q.model;
  // the item's row read in place (no subarray per candidate)
  const rows = m.vectors;
  const off = item * m.dim;
  q.textNeed ??= textNeedOf(q);
  const need = q.textNeed;
  // coldText is the better of textInterest and textRecent
  const cold = need('coldText');
  let best = -1;
  if (cold || need('textInterest'))
    for (const c of q.interestVecs) best = Math.max(best, dotAt(c, rows, off));
  out[FEATURE.textInterest] = q.interestVecs.length > 0 && (cold || need('textInterest')) ? best : 0;
  out[FEATURE.textRecent] = q.recentVec && (cold || need('textRecent')) ? dotAt(q.recentVec, rows, off) : 0;
  let neg = 0;
  if (need('negative')) for (const nv of q.negatives) neg = Math.max(neg, dotAt(nv, rows, off));
  out[FEATURE.negative] = neg;
  out[FEATURE.textLast] = q.lastVec && need('textLast') ? dotAt(q.lastVec, rows, off) : 0;
  // interests over every scenario: what the other scenario adds to the target's own (0 without one)
  let fused = q.fusedVecs.length > 0 && need('textFused') ? -1 : 0;
  if (need('textFused')) for (const c of q.fusedVecs) fused = Math.max(fused, dotAt(c, rows, off));
  out[FEATURE.textFused] = fused;
  out[FEATURE.textRecentFused] =
    q.fusedRecentVec && need('textRecentFused') ? dotAt(q.fusedRecentVec, rows, off) : 0;
}

/**
 * An item no one has engaged with has only its text: a feature of its own lets the ranker trust
 * text there without trusting it everywhere (written after the memo: counts change, the memo does not).
 */
function writeColdText(q: Query, item: number, out: Float32Array): void {
  const m = q.model;
  if (m.hasVector[item] && m.graphs.counts[item] === 0 && (q.interestVecs.length > 0 || q.recentVec))
    out[FEATURE.coldText] = Math.max(out[FEATURE.textInterest]!, out[FEATURE.textRecent]!);
}

function writeSeq(q: Query, item: number, out: Float32Array): void {
  const seq = q.model.seq;
  const known = seq !== undefined && item < seq.scorer.numItems;
  out[FEATURE.seq] = q.seqState && known ? seq.scale * seq.scorer.score(q.seqState, item) : 0;
  out[FEATURE.seqFused] = q.seqFusedState && known ? seq.scale * seq.scorer.score(q.seqFusedState, item) : 0;
}

/**
 * The feature row of one candidate, in FEATURES order. `ctx` is the request's resolved context
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
  writeCollaborative(q, item, out);
  clearText(out);
  // the memo holds values computed in the item's own scenario (the text features depend on it)
  const memo = m.scenarioCode[item] === q.scenarioCode ? q.textMemo : undefined;
  if (
    (q.interestVecs.length > 0 || q.recentVec || q.fusedRecentVec) &&
    m.hasVector[item] &&
    !memo?.read(item, out)
  ) {
    writeText(q, item, out);
    memo?.write(item, out);
  }
  writeColdText(q, item, out);
  out[FEATURE.popularity] = m.popularity[item]!;
  // what users arriving from another scenario take up: a cross-scenario feature (0 without one)
  out[FEATURE.popularityCross] = q.other && m.popularityCross ? (m.popularityCross[item] ?? 0) : 0;
  out[FEATURE.context] = ctx ? contextScore(ctx, item) : 0;
  writeSeq(q, item, out);
  return out;
}

export function linearScore(weights: readonly number[], f: Float32Array): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += (weights[i] ?? 0) * f[i]!;
  return s;
}
