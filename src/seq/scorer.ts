/**
 * The trained sequential model ready to score: every item's h and effective bias precomputed once
 * through the forward pass of ./forward.ts, and a history's user state through the same pass.
 */
import { itemBias, itemForward, type UserPass, userForward, userPass } from './forward.ts';
import type { SeqWeights } from './params.ts';
import type { SeqCase, SeqModel } from './types.ts';

/** what the ranker reads of the sequential model: one model (SeqScorer) or an ensemble (./ensemble.ts) */
export interface SeqScoring {
  readonly numItems: number;
  /** the models, one or several (their parameters travel to the ranker fit's workers) */
  readonly members: readonly SeqWeights[];
  /** the user state for a history (item indices, oldest first) and a target scenario code */
  userState(hist: readonly number[], scenario: number): Float32Array | undefined;
  score(z: Float32Array, item: number): number;
  /** each of the last maxLen history positions' part of the item's score without its bias */
  attribution(hist: readonly number[], scenario: number, item: number): Float64Array;
}

export class SeqScorer implements SeqScoring {
  readonly dim: number;
  readonly numItems: number;
  /** numItems x dim */
  readonly table: Float32Array;
  readonly bias: Float32Array;
  /** the forward values of the last history scored (reused: scoring is synchronous) */
  private readonly pass: UserPass;

  constructor(readonly weights: SeqWeights) {
    const { numItems, dim } = weights.shape;
    this.dim = dim;
    this.numItems = numItems;
    this.table = new Float32Array(numItems * dim);
    this.bias = new Float32Array(numItems);
    this.pass = userPass(weights);
    const e = new Float32Array(dim);
    for (let i = 0; i < numItems; i++) {
      itemForward(weights, i, e, 0, this.table, i * dim);
      this.bias[i] = itemBias(weights, i);
    }
  }

  get members(): readonly SeqWeights[] {
    return [this.weights];
  }

  /** the user state z for a history (item indices, oldest first) and a target scenario code */
  userState(hist: readonly number[], scenario: number): Float32Array | undefined {
    const z = new Float32Array(this.dim);
    return userForward(this.weights, this.table, hist, scenario, this.pass, z) ? z : undefined;
  }

  /**
   * How much each of the last maxLen history positions carries of the item's score (without the
   * item bias): the pooling model's score is linear in the pooled history, so alpha_t ((Wo x_t) *
   * query_s * gate) . h_item sums exactly to score - bias (the gate is the user's, one factor for
   * every position). For explanations.
   */
  attribution(hist: readonly number[], scenario: number, item: number): Float64Array {
    if (this.pass.sas) return this.sasAttribution(hist, scenario, item);
    const d = this.dim;
    const P = this.weights.params;
    // the forward pass sets x, alpha and the gate of this user in this scenario
    const n = userForward(this.weights, this.table, hist, scenario, this.pass, new Float64Array(d))
      ? this.pass.n
      : 0;
    const { x, alpha, g } = this.pass;
    const out = new Float64Array(n);
    const ho = item * d;
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let r = 0; r < d; r++) {
        let y = 0;
        for (let k = 0; k < d; k++) y += P.wo[r * d + k]! * x[t * d + k]!;
        s += y * P.query[scenario * d + r]! * g[r]! * this.table[ho + r]!;
      }
      out[t] = alpha[t]! * s;
    }
    return out;
  }

  /**
   * sasrec: the score is not linear in the items, so score - bias is split by the newest
   * position's attention weights in the last block, averaged over the heads (an approximation of
   * each item's part; it sums exactly).
   */
  private sasAttribution(hist: readonly number[], scenario: number, item: number): Float64Array {
    const z = this.userState(hist, scenario);
    const c = this.pass.sas!;
    const n = this.pass.n;
    const out = new Float64Array(n);
    if (!z) return out;
    const total = this.score(z, item) - this.bias[item]!;
    const { layers: B, heads: H, maxLen: L } = this.weights.shape;
    for (let hh = 0; hh < H; hh++) {
      const row = (((B - 1) * H + hh) * L + n - 1) * L;
      for (let t = 0; t < n; t++) out[t]! += (c.p[row + t]! / H) * total;
    }
    return out;
  }

  score(z: Float32Array, item: number): number {
    const d = this.dim;
    const o = item * d;
    let s = this.bias[item]!;
    for (let k = 0; k < d; k++) s += z[k]! * this.table[o + k]!;
    return s;
  }
}

/** NDCG@10 of full ranking in the target's scenario, history masked, ties against the target */
export function validNdcg(scorer: SeqScoring, cases: readonly SeqCase[], itemScenario: Uint16Array): number {
  if (cases.length === 0) return 0;
  const byScenario = new Map<number, number[]>();
  itemScenario.forEach((s, i) => {
    const l = byScenario.get(s) ?? [];
    if (l.length === 0) byScenario.set(s, l);
    l.push(i);
  });
  let sum = 0;
  for (const c of cases) {
    const s = itemScenario[c.target]!;
    const z = scorer.userState(c.hist, s);
    if (!z) continue;
    const masked = new Set(c.hist);
    const t = scorer.score(z, c.target);
    let rank = 0;
    for (const i of byScenario.get(s)!) {
      if (i === c.target || masked.has(i)) continue;
      if (scorer.score(z, i) >= t && ++rank >= 10) break;
    }
    if (rank < 10) sum += 1 / Math.log2(rank + 2);
  }
  return sum / cases.length;
}

/** the scorer of a trained model */
export function scorerOf(model: SeqModel): SeqScorer {
  return new SeqScorer({
    shape: model.shape,
    params: model.params,
    inputs: { text: model.text, warm: model.warm, scenario: model.scenario },
  });
}
