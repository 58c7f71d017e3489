/**
 * The sequential model in training: the loss of a batch and its gradient, by hand, around the
 * forward pass of ./forward.ts (the maths: ./model.ts). A batch may run whole (lossAndGrad) or split
 * over threads in phases (forwardItems, examplesGrad, backwardItems; ./parallel.ts).
 */
import { poolBackward, textBackward, woBackward } from './backward-kernels.ts';
import { itemBias, itemForward, itemForwardPair, userForward } from './forward.ts';
import type { SeqInputs, SeqParams, SeqShape, SeqWeights } from './params.ts';
import { scenarioStateBackward } from './scenario-state.ts';
import { BatchSoftmax } from './softmax-batch.ts';
import { addRowGrads } from './softmax-block.ts';

export interface Example {
  /** history items, oldest first, at most maxLen */
  hist: ArrayLike<number>;
  target: number;
  /** seeds the example's dropout (sasrec): the target's position in the training data */
  key?: number;
}

/** the network: parameters, fixed inputs, and forward/backward over a batch */
export class SeqNet implements SeqWeights {
  readonly d: number;
  /** per-batch caches: e and h of the items touched in the batch (allocated on first training use) */
  protected e: Float64Array = new Float64Array(0);
  protected h: Float64Array = new Float64Array(0);
  protected dh: Float64Array = new Float64Array(0);
  private mark = new Int32Array(0);
  /** the batch each scenario's negatives were last forwarded in */
  private negsAt = new Int32Array(0);
  private touched: number[] = [];
  private batchId = 0;
  /** sampledSoftmax's scratch, one slot per candidate (grown on first use) */
  private cands = new Int32Array(0);
  private rowOf = new Int32Array(0);
  private logits = new Float64Array(0);
  private coef = new Float64Array(0);
  /** the pool encoder's predictions between the passes of examples() */
  private readonly block = new BatchSoftmax();
  /** the batch's dropout seed (set by the trainer before each batch; sasrec) */
  dropoutSeed = 0;

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
    this.negsAt = new Int32Array(this.shape.numScenarios).fill(-1);
  }

  protected ensure(i: number): number {
    if (this.mark[i] !== this.batchId) {
      this.mark[i] = this.batchId;
      itemForward(this, i, this.e, i * this.d, this.h, i * this.d);
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
    let q = from;
    for (; q + 2 <= to; q += 2) itemForwardPair(this, items[q]!, items[q + 1]!, this.e, this.h);
    if (q < to) itemForward(this, items[q]!, this.e, items[q]! * d, this.h, items[q]! * d);
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

  /**
   * One prediction's sampled softmax (the sasrec encoder's, ./sas-net.ts, one position at a time;
   * the pool encoder's runs per scenario, ./softmax-batch.ts): the target against the scenario's
   * negatives (one equal to the target skipped), scored by z against the cached h. Returns its loss
   * times inv; sets dz to the loss's gradient in z and adds the item side's (dh, warm biases) in
   * place. `lazy`: forward each item on its first use in the batch (else the caches already hold
   * it).
   *
   * The loops run four candidates at a time for the independent accumulators, but every sum (a
   * logit over k, dz[k] and each dh row over the candidates) adds its terms in candidate order, as
   * one candidate at a time would: the results are the same to the bit.
   */
  protected sampledSoftmax(
    z: Float64Array,
    tgt: number,
    negs: readonly number[],
    inv: number,
    grads: SeqParams,
    dz: Float64Array,
    lazy: boolean,
  ): number {
    const { d } = this;
    const room = negs.length + 1;
    if (this.cands.length < room) {
      this.cands = new Int32Array(room);
      this.rowOf = new Int32Array(room);
      this.logits = new Float64Array(room);
      this.coef = new Float64Array(room);
    }
    const { cands, rowOf, logits, coef } = this;
    let n = 0;
    cands[n++] = tgt;
    for (let q = 0; q < negs.length; q++) {
      const j = negs[q]!;
      if (j !== tgt) cands[n++] = j;
    }
    // forward in candidate order (ensure fixes the order the batch's items are backpropagated in)
    for (let c = 0; c < n; c++) rowOf[c] = lazy ? this.ensure(cands[c]!) : cands[c]! * d;
    const h = this.h;
    const dh = this.dh;
    const warm = this.inputs.warm;
    let lmax = -Infinity;
    let c = 0;
    for (; c + 4 <= n; c += 4) {
      const o0 = rowOf[c]!;
      const o1 = rowOf[c + 1]!;
      const o2 = rowOf[c + 2]!;
      const o3 = rowOf[c + 3]!;
      let s0 = itemBias(this, cands[c]!);
      let s1 = itemBias(this, cands[c + 1]!);
      let s2 = itemBias(this, cands[c + 2]!);
      let s3 = itemBias(this, cands[c + 3]!);
      for (let k = 0; k < d; k++) {
        const zk = z[k]!;
        s0 += zk * h[o0 + k]!;
        s1 += zk * h[o1 + k]!;
        s2 += zk * h[o2 + k]!;
        s3 += zk * h[o3 + k]!;
      }
      logits[c] = s0;
      logits[c + 1] = s1;
      logits[c + 2] = s2;
      logits[c + 3] = s3;
    }
    for (; c < n; c++) {
      const o = rowOf[c]!;
      let sc = itemBias(this, cands[c]!);
      for (let k = 0; k < d; k++) sc += z[k]! * h[o + k]!;
      logits[c] = sc;
    }
    for (c = 0; c < n; c++) if (logits[c]! > lmax) lmax = logits[c]!;
    let lsum = 0;
    for (c = 0; c < n; c++) {
      const x = Math.exp(logits[c]! - lmax);
      coef[c] = x;
      lsum += x;
    }
    // the candidates with a gradient, in order, their rows packed to the front of rowOf
    let m = 0;
    for (c = 0; c < n; c++) {
      const g = (coef[c]! / lsum - (c === 0 ? 1 : 0)) * inv;
      if (g === 0) continue;
      const j = cands[c]!;
      if (warm[j] === 1) grads.bias[j]! += g;
      coef[m] = g;
      rowOf[m] = j * d;
      m++;
    }
    dz.fill(0);
    c = 0;
    for (; c + 4 <= m; c += 4) {
      const o0 = rowOf[c]!;
      const o1 = rowOf[c + 1]!;
      const o2 = rowOf[c + 2]!;
      const o3 = rowOf[c + 3]!;
      const g0 = coef[c]!;
      const g1 = coef[c + 1]!;
      const g2 = coef[c + 2]!;
      const g3 = coef[c + 3]!;
      for (let k = 0; k < d; k++)
        dz[k] = dz[k]! + g0 * h[o0 + k]! + g1 * h[o1 + k]! + g2 * h[o2 + k]! + g3 * h[o3 + k]!;
    }
    for (; c < m; c++) {
      const g = coef[c]!;
      const o = rowOf[c]!;
      for (let k = 0; k < d; k++) dz[k]! += g * h[o + k]!;
    }
    addRowGrads(dh, coef, rowOf, m, z, 0, d);
    return (Math.log(lsum) + lmax - logits[0]!) * inv;
  }

  /**
   * The loss and gradient of a batch's examples in three passes: each example's user state
   * forward (in batch order; lazily, each item on its first use, in the order the candidates of one
   * example at a time use them); the sampled softmax of each scenario's examples together
   * (./softmax-block.ts: logits and the user states' gradient as blocked products over the
   * scenario's shared negatives); the rest of each example's backward, in batch order (every sum
   * into the item rows and the parameters takes its terms in the order of one example at a time).
   */
  protected examples(
    batch: readonly Example[],
    negatives: readonly (readonly number[])[],
    grads: SeqParams,
    norm: number,
    lazy: boolean,
  ): number {
    const { d } = this;
    const L = this.shape.maxLen;
    const S = this.block.grow(this, batch.length);
    const { scenario } = this.inputs;
    let p = 0;
    for (let b = 0; b < batch.length; b++) {
      const ex = batch[b]!;
      const n = Math.min(ex.hist.length, L);
      if (n === 0) continue;
      const start = ex.hist.length - n;
      const s = scenario[ex.target]!;
      if (lazy) for (let t = 0; t < n; t++) this.ensure(ex.hist[start + t]!);
      userForward(this, this.h, ex.hist, s, S.passes[p]!, S.z.subarray(p * d, (p + 1) * d));
      if (lazy) {
        this.ensure(ex.target);
        // a scenario's negatives on its first example of the batch (later ones find them forwarded)
        if (this.negsAt[s] !== this.batchId) {
          this.negsAt[s] = this.batchId;
          for (const j of negatives[s] ?? []) this.ensure(j);
        }
      }
      S.slot[p] = b;
      S.target[p++] = ex.target;
    }
    this.block.softmax(this, this.h, p, negatives, 1 / norm);
    const dv = new Float64Array(d);
    const du = new Float64Array(d);
    const dx = new Float64Array(L * d);
    const dlast = new Float64Array(d);
    let loss = 0;
    for (let q = 0; q < p; q++) {
      const ex = batch[S.slot[q]!]!;
      const s = scenario[ex.target]!;
      const pass = S.passes[q]!;
      loss += S.loss[q]!;
      this.block.itemGrad(this, grads, q, ex.target, negatives[s] ?? [], this.dh);
      scenarioStateBackward(this, grads, pass.v, s, pass.g, S.dz.subarray(q * d, (q + 1) * d), dv);
      woBackward(this.params.wo, grads.wo, pass.u, dv, du, d);
      poolBackward(this, grads, pass, ex.hist, ex.hist.length - pass.n, du, this.dh, dx, dlast);
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
    const x = this.inputs.text;
    const { scenario, warm } = this.inputs;
    const pScale = this.params.scale;
    const { scale: gScale, shift: gShift, emb: gEmb, wt: gWt } = grads;
    const e = this.e;
    const first = dhs[0]!;
    const second = dhs[1];
    const dh = new Float64Array(d);
    // the text projection's gradient takes a group of items at a time (see textBackward)
    const de = new Float64Array(4 * d);
    for (let q0 = from; q0 < to; q0 += 4) {
      const q1 = Math.min(to, q0 + 4);
      for (let q = q0; q < q1; q++) {
        const i = items[q]!;
        const o = i * d;
        const s = scenario[i]! * d;
        // dh summed over the threads in order (one pass for the usual one or two)
        if (second) for (let k = 0; k < d; k++) dh[k] = first[o + k]! + second[o + k]!;
        else for (let k = 0; k < d; k++) dh[k] = first[o + k]!;
        for (let w = 2; w < dhs.length; w++) {
          const more = dhs[w]!;
          for (let k = 0; k < d; k++) dh[k]! += more[o + k]!;
        }
        const isWarm = warm[i] === 1;
        const r = (q - q0) * d;
        for (let k = 0; k < d; k++) {
          const g = dh[k]!;
          gScale[s + k]! += g * e[o + k]!;
          gShift[s + k]! += g;
          const gk = g * pScale[s + k]!;
          de[r + k] = gk;
          if (isWarm) gEmb[o + k]! += gk;
        }
      }
      if (T > 0) textBackward(gWt, x, T, d, items, q0, q1, de);
    }
  }

  /** items touched by the last batch (rows of emb and bias that may have a gradient) */
  lastTouched(): readonly number[] {
    return this.touched;
  }
}
