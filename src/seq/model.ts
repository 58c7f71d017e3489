/**
 * The sequential interest model (UniSRec/SASRec-style, small enough for hand-written gradients):
 *
 *   item    e_i = Wt . w(x_i) + [warm_i] E_i          w = fixed PCA whitening of the text vector
 *           h_i = e_i * scale_s(i) + shift_s(i)      STAR-style: shared e, per-scenario factor + bias
 *   history x_t = h_(i_t) + pos_p                     p = steps back from the most recent item
 *           a_t = sum_k attn_k last_k x_t,k / sqrt(d) + posBias_p      (last = x of the newest item)
 *           u   = sum_t softmax(a)_t x_t
 *   user    z_s = (Wo u) * query_s                    s = the target scenario
 *   score   z_s . h_j + [warm_j] bias_j
 *
 * A cold item (no training events) has no id embedding and no bias: it is scored from its text
 * alone. Datasets without text (textDim 0) use ids only. All state is Float32Array; the forward
 * caches of one batch are Float64Array so the gradient check is exact enough.
 */
import { seededRandom } from '../core/rng.ts';

export interface SeqShape {
  numItems: number;
  numScenarios: number;
  /** width of the whitened text features; 0 = ids only */
  textDim: number;
  dim: number;
  maxLen: number;
}

/** fixed inputs, not trained */
export interface SeqInputs {
  /** numItems x textDim whitened text features (empty when textDim is 0) */
  text: Float32Array;
  /** 1 = the item has training events and so an id embedding and a bias */
  warm: Uint8Array;
  /** scenario code per item */
  scenario: Uint16Array;
}

export const PARAM_NAMES = [
  'wt',
  'emb',
  'bias',
  'scale',
  'shift',
  'pos',
  'posBias',
  'attn',
  'wo',
  'query',
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];
export type SeqParams = Record<ParamName, Float32Array>;

export function paramSizes(s: SeqShape): Record<ParamName, number> {
  const d = s.dim;
  return {
    wt: d * s.textDim,
    emb: s.numItems * d,
    bias: s.numItems,
    scale: s.numScenarios * d,
    shift: s.numScenarios * d,
    pos: s.maxLen * d,
    posBias: s.maxLen,
    attn: d,
    wo: d * d,
    query: s.numScenarios * d,
  };
}

export function gaussian(rnd: () => number): () => number {
  return () => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
}

export function initParams(shape: SeqShape, seed: number): SeqParams {
  const g = gaussian(seededRandom(seed));
  const sizes = paramSizes(shape);
  const p = Object.fromEntries(PARAM_NAMES.map((n) => [n, new Float32Array(sizes[n])])) as SeqParams;
  const d = shape.dim;
  const wScale = shape.textDim > 0 ? 0.5 / Math.sqrt(shape.textDim) : 0;
  for (let i = 0; i < p.wt.length; i++) p.wt[i] = g() * wScale;
  // with text, ids start at zero (text carries the item at first); without, ids must break symmetry
  if (shape.textDim === 0) for (let i = 0; i < p.emb.length; i++) p.emb[i] = g() * 0.1;
  p.scale.fill(1);
  p.query.fill(1);
  for (let k = 0; k < d; k++) p.wo[k * d + k] = 1;
  return p;
}

export interface Example {
  /** history items, oldest first, at most maxLen */
  hist: ArrayLike<number>;
  target: number;
}

/** the network: parameters, fixed inputs, and forward/backward over a batch */
export class SeqNet {
  readonly d: number;
  /** per-batch caches: e and h of the items touched in the batch (allocated on first training use) */
  private e: Float64Array = new Float64Array(0);
  private h: Float64Array = new Float64Array(0);
  private dh: Float64Array = new Float64Array(0);
  private mark = new Int32Array(0);
  private touched: number[] = [];
  private batchId = 0;

  constructor(
    readonly shape: SeqShape,
    readonly params: SeqParams,
    readonly inputs: SeqInputs,
  ) {
    this.d = shape.dim;
  }

  private allocate(): void {
    if (this.mark.length === this.shape.numItems) return;
    const size = this.shape.numItems * this.shape.dim;
    this.e = new Float64Array(size);
    this.h = new Float64Array(size);
    this.dh = new Float64Array(size);
    this.mark = new Int32Array(this.shape.numItems).fill(-1);
  }

  /** e and h of one item into the given rows */
  itemForward(
    i: number,
    e: Float64Array | Float32Array,
    eOff: number,
    h: Float64Array | Float32Array,
    off: number,
  ): void {
    const { d } = this;
    const { wt, emb, scale, shift } = this.params;
    const T = this.shape.textDim;
    const x = this.inputs.text;
    const warm = this.inputs.warm[i] === 1;
    const s = this.inputs.scenario[i]! * d;
    for (let k = 0; k < d; k++) {
      let v = warm ? emb[i * d + k]! : 0;
      if (T > 0) {
        const w = k * T;
        const xo = i * T;
        for (let j = 0; j < T; j++) v += wt[w + j]! * x[xo + j]!;
      }
      e[eOff + k] = v;
      h[off + k] = v * scale[s + k]! + shift[s + k]!;
    }
  }

  itemBias(i: number): number {
    return this.inputs.warm[i] === 1 ? this.params.bias[i]! : 0;
  }

  private ensure(i: number): number {
    if (this.mark[i] !== this.batchId) {
      this.mark[i] = this.batchId;
      this.itemForward(i, this.e, i * this.d, this.h, i * this.d);
      this.dh.fill(0, i * this.d, (i + 1) * this.d);
      this.touched.push(i);
    }
    return i * this.d;
  }

  /**
   * Mean sampled-softmax loss of a batch and its gradient (added into `grads`). Each example's
   * logits are the target and the negatives of the target's scenario (a negative equal to the
   * target is skipped). `norm` = the number of examples the mean is over (default: this batch).
   */
  lossAndGrad(
    batch: readonly Example[],
    negatives: readonly (readonly number[])[],
    grads: SeqParams,
    norm: number = batch.length,
  ): number {
    this.allocate();
    this.batchId++;
    this.touched = [];
    const loss = this.examples(batch, negatives, grads, norm, true);
    this.backwardItems(this.touched, 0, this.touched.length, [this.dh], grads);
    return loss;
  }

  /**
   * Uses the given item caches (e and h shared by every thread of a split batch, dh this thread's)
   * instead of its own, for the phases of a batch split over threads: forwardItems, examplesGrad,
   * backwardItems. Each holds numItems x dim values.
   */
  useCaches(e: Float64Array, h: Float64Array, dh: Float64Array): void {
    const size = this.shape.numItems * this.d;
    if (e.length !== size || h.length !== size || dh.length !== size)
      throw new RangeError(`item caches must hold ${size} values`);
    this.e = e;
    this.h = h;
    this.dh = dh;
  }

  /**
   * Phase 1 of a split batch: e and h of items[from, to) into the caches (this thread's share of
   * the batch's items), and this thread's dh zeroed for every item of the batch.
   */
  forwardItems(items: ArrayLike<number>, from: number, to: number): void {
    const { d } = this;
    for (let q = from; q < to; q++) {
      const i = items[q]!;
      this.itemForward(i, this.e, i * d, this.h, i * d);
    }
    for (let q = 0; q < items.length; q++) this.dh.fill(0, items[q]! * d, (items[q]! + 1) * d);
  }

  /**
   * Phase 2 of a split batch: loss and gradient of some examples, every item of which (history,
   * target, negatives) phase 1 has forwarded; the item rows' gradient goes to this thread's dh,
   * the rest into `grads`. `norm` = the size of the whole batch.
   */
  examplesGrad(
    batch: readonly Example[],
    negatives: readonly (readonly number[])[],
    grads: SeqParams,
    norm: number,
  ): number {
    return this.examples(batch, negatives, grads, norm, false);
  }

  /** `lazy`: forward each item on its first use in the batch (else the caches already hold it) */
  private examples(
    batch: readonly Example[],
    negatives: readonly (readonly number[])[],
    grads: SeqParams,
    norm: number,
    lazy: boolean,
  ): number {
    const { d } = this;
    const P = this.params;
    const L = this.shape.maxLen;
    const x = new Float64Array(L * d);
    const dx = new Float64Array(L * d);
    const a = new Float64Array(L);
    const alpha = new Float64Array(L);
    const u = new Float64Array(d);
    const v = new Float64Array(d);
    const z = new Float64Array(d);
    const dz = new Float64Array(d);
    const dv = new Float64Array(d);
    const du = new Float64Array(d);
    const dlast = new Float64Array(d);
    const rs = 1 / Math.sqrt(d);
    const inv = 1 / norm;
    let loss = 0;
    for (const ex of batch) {
      const n = Math.min(ex.hist.length, L);
      if (n === 0) continue;
      const start = ex.hist.length - n;
      const tgt = ex.target;
      const s = this.inputs.scenario[tgt]!;
      // history forward
      for (let t = 0; t < n; t++) {
        const hi = ex.hist[start + t]!;
        const ho = lazy ? this.ensure(hi) : hi * d;
        const p = (n - 1 - t) * d;
        for (let k = 0; k < d; k++) x[t * d + k] = this.h[ho + k]! + P.pos[p + k]!;
      }
      const lo = (n - 1) * d;
      let amax = -Infinity;
      for (let t = 0; t < n; t++) {
        let s2 = 0;
        for (let k = 0; k < d; k++) s2 += P.attn[k]! * x[lo + k]! * x[t * d + k]!;
        a[t] = s2 * rs + P.posBias[n - 1 - t]!;
        if (a[t]! > amax) amax = a[t]!;
      }
      let asum = 0;
      for (let t = 0; t < n; t++) {
        alpha[t] = Math.exp(a[t]! - amax);
        asum += alpha[t]!;
      }
      u.fill(0);
      for (let t = 0; t < n; t++) {
        alpha[t]! /= asum;
        for (let k = 0; k < d; k++) u[k]! += alpha[t]! * x[t * d + k]!;
      }
      for (let r = 0; r < d; r++) {
        let s2 = 0;
        for (let k = 0; k < d; k++) s2 += P.wo[r * d + k]! * u[k]!;
        v[r] = s2;
        z[r] = s2 * P.query[s * d + r]!;
      }
      // logits: target first, then the scenario's negatives
      const negs = negatives[s] ?? [];
      const cands = [tgt];
      for (const j of negs) if (j !== tgt) cands.push(j);
      const logits = new Float64Array(cands.length);
      let lmax = -Infinity;
      for (let c = 0; c < cands.length; c++) {
        const j = cands[c]!;
        const ho = lazy ? this.ensure(j) : j * d;
        let s2 = this.itemBias(j);
        for (let k = 0; k < d; k++) s2 += z[k]! * this.h[ho + k]!;
        logits[c] = s2;
        if (s2 > lmax) lmax = s2;
      }
      let lsum = 0;
      for (let c = 0; c < cands.length; c++) lsum += Math.exp(logits[c]! - lmax);
      loss += (Math.log(lsum) + lmax - logits[0]!) * inv;
      // backward
      dz.fill(0);
      for (let c = 0; c < cands.length; c++) {
        const j = cands[c]!;
        const g = ((Math.exp(logits[c]! - lmax) / lsum - (c === 0 ? 1 : 0)) * inv) as number;
        if (g === 0) continue;
        const ho = j * d;
        for (let k = 0; k < d; k++) {
          dz[k]! += g * this.h[ho + k]!;
          this.dh[ho + k]! += g * z[k]!;
        }
        if (this.inputs.warm[j] === 1) grads.bias[j]! += g;
      }
      for (let r = 0; r < d; r++) {
        grads.query[s * d + r]! += dz[r]! * v[r]!;
        dv[r] = dz[r]! * P.query[s * d + r]!;
      }
      du.fill(0);
      for (let r = 0; r < d; r++) {
        const g = dv[r]!;
        for (let k = 0; k < d; k++) {
          grads.wo[r * d + k]! += g * u[k]!;
          du[k]! += P.wo[r * d + k]! * g;
        }
      }
      // through the attention pooling
      let dot = 0;
      const dAlpha = new Float64Array(n);
      for (let t = 0; t < n; t++) {
        let s2 = 0;
        for (let k = 0; k < d; k++) s2 += du[k]! * x[t * d + k]!;
        dAlpha[t] = s2;
        dot += alpha[t]! * s2;
      }
      dlast.fill(0);
      for (let t = 0; t < n; t++) {
        const da = alpha[t]! * (dAlpha[t]! - dot);
        grads.posBias[n - 1 - t]! += da;
        const c = da * rs;
        for (let k = 0; k < d; k++) {
          const xl = x[lo + k]!;
          const xt = x[t * d + k]!;
          grads.attn[k]! += c * xl * xt;
          dx[t * d + k] = alpha[t]! * du[k]! + c * P.attn[k]! * xl;
          dlast[k]! += c * P.attn[k]! * xt;
        }
      }
      for (let k = 0; k < d; k++) dx[lo + k]! += dlast[k]!;
      for (let t = 0; t < n; t++) {
        const ho = ex.hist[start + t]! * d;
        const p = (n - 1 - t) * d;
        for (let k = 0; k < d; k++) {
          this.dh[ho + k]! += dx[t * d + k]!;
          grads.pos[p + k]! += dx[t * d + k]!;
        }
      }
    }
    return loss;
  }

  /**
   * Phase 3 (and the end of lossAndGrad): the item backward of items[from, to), their dh the sum
   * of `dhs` in order, into scale, shift, the id embeddings and the text projection.
   */
  backwardItems(
    items: ArrayLike<number>,
    from: number,
    to: number,
    dhs: readonly Float64Array[],
    grads: SeqParams,
  ): void {
    const { d } = this;
    const T = this.shape.textDim;
    const P = this.params;
    const x = this.inputs.text;
    const first = dhs[0]!;
    const de = new Float64Array(d);
    const dh = new Float64Array(d);
    for (let q = from; q < to; q++) {
      const i = items[q]!;
      const o = i * d;
      const s = this.inputs.scenario[i]! * d;
      for (let k = 0; k < d; k++) dh[k] = first[o + k]!;
      for (let w = 1; w < dhs.length; w++) {
        const more = dhs[w]!;
        for (let k = 0; k < d; k++) dh[k]! += more[o + k]!;
      }
      for (let k = 0; k < d; k++) {
        const g = dh[k]!;
        grads.scale[s + k]! += g * this.e[o + k]!;
        grads.shift[s + k]! += g;
        de[k] = g * P.scale[s + k]!;
      }
      if (this.inputs.warm[i] === 1) for (let k = 0; k < d; k++) grads.emb[o + k]! += de[k]!;
      if (T > 0) {
        const xo = i * T;
        for (let k = 0; k < d; k++) {
          const g = de[k]!;
          if (g === 0) continue;
          const w = k * T;
          for (let j = 0; j < T; j++) grads.wt[w + j]! += g * x[xo + j]!;
        }
      }
    }
  }

  /** items touched by the last batch (rows of emb and bias that may have a gradient) */
  lastTouched(): readonly number[] {
    return this.touched;
  }
}

/**
 * The trained model ready to score: every item's h and effective bias precomputed, and the user
 * state of a history for a target scenario.
 */
export class SeqScorer {
  readonly dim: number;
  readonly numItems: number;
  /** numItems x dim */
  readonly table: Float32Array;
  readonly bias: Float32Array;

  constructor(readonly net: SeqNet) {
    const { numItems, dim } = net.shape;
    this.dim = dim;
    this.numItems = numItems;
    this.table = new Float32Array(numItems * dim);
    this.bias = new Float32Array(numItems);
    const e = new Float32Array(dim);
    for (let i = 0; i < numItems; i++) {
      net.itemForward(i, e, 0, this.table, i * dim);
      this.bias[i] = net.itemBias(i);
    }
  }

  /** the pooled history: position inputs x (oldest first) and their attention weights */
  private pool(hist: readonly number[]): { x: Float64Array; alpha: Float64Array; n: number } | undefined {
    const d = this.dim;
    const P = this.net.params;
    const n = Math.min(hist.length, this.net.shape.maxLen);
    if (n === 0) return undefined;
    const start = hist.length - n;
    const x = new Float64Array(n * d);
    for (let t = 0; t < n; t++) {
      const ho = hist[start + t]! * d;
      const p = (n - 1 - t) * d;
      for (let k = 0; k < d; k++) x[t * d + k] = this.table[ho + k]! + P.pos[p + k]!;
    }
    const lo = (n - 1) * d;
    const alpha = new Float64Array(n);
    let amax = -Infinity;
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += P.attn[k]! * x[lo + k]! * x[t * d + k]!;
      alpha[t] = s / Math.sqrt(d) + P.posBias[n - 1 - t]!;
      amax = Math.max(amax, alpha[t]!);
    }
    let sum = 0;
    for (let t = 0; t < n; t++) {
      alpha[t] = Math.exp(alpha[t]! - amax);
      sum += alpha[t]!;
    }
    for (let t = 0; t < n; t++) alpha[t]! /= sum;
    return { x, alpha, n };
  }

  /** the user state z for a history (item indices, oldest first) and a target scenario code */
  userState(hist: readonly number[], scenario: number): Float32Array | undefined {
    const d = this.dim;
    const P = this.net.params;
    const pooled = this.pool(hist);
    if (!pooled) return undefined;
    const { x, alpha, n } = pooled;
    const u = new Float64Array(d);
    for (let t = 0; t < n; t++) for (let k = 0; k < d; k++) u[k]! += alpha[t]! * x[t * d + k]!;
    const z = new Float32Array(d);
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += P.wo[r * d + k]! * u[k]!;
      z[r] = s * P.query[scenario * d + r]!;
    }
    return z;
  }

  /**
   * How much each of the last maxLen history positions carries of the item's score (without the
   * item bias): the score is linear in the pooled history, so alpha_t ((Wo x_t) * query_s) . h_item
   * sums exactly to score - bias. For explanations.
   */
  attribution(hist: readonly number[], scenario: number, item: number): Float64Array {
    const d = this.dim;
    const P = this.net.params;
    const pooled = this.pool(hist);
    if (!pooled) return new Float64Array(0);
    const { x, alpha, n } = pooled;
    const out = new Float64Array(n);
    const ho = item * d;
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let r = 0; r < d; r++) {
        let y = 0;
        for (let k = 0; k < d; k++) y += P.wo[r * d + k]! * x[t * d + k]!;
        s += y * P.query[scenario * d + r]! * this.table[ho + r]!;
      }
      out[t] = alpha[t]! * s;
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
