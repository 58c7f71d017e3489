/**
 * The pool encoder's batch between the passes of ./net.ts's examples: each prediction's forward
 * values, then its sampled softmax against its scenario's shared negatives, computed for every
 * prediction of a scenario together (./softmax-block.ts), and each prediction's gradient on the
 * item side.
 */
import { itemBias, type UserPass, userPass } from './forward.ts';
import type { SeqParams, SeqWeights } from './params.ts';
import { addRowGrads, blockGrad, blockLogits } from './softmax-block.ts';

/**
 * A batch's predictions between the passes of ./net.ts's examples: each one's forward values and
 * user state, then its softmax coefficients, loss and user-state gradient. Grown on first use and
 * reused from batch to batch.
 */
export class BatchSoftmax {
  /** each prediction's forward values (the pool encoder's) */
  passes: UserPass[] = [];
  /** each prediction's example in the batch, and its target */
  slot = new Int32Array(0);
  target = new Int32Array(0);
  /** each prediction's user state, then its gradient (d values each) */
  z = new Float64Array(0);
  dz = new Float64Array(0);
  /** each prediction's loss, times the batch's 1 / norm */
  loss = new Float64Array(0);
  /** each prediction's target's coefficient (softmax - 1, times 1 / norm) and, from gOff, its negatives' (0 for one equal to the target) */
  private gt = new Float64Array(0);
  private gOff = new Int32Array(0);
  private g = new Float64Array(0);
  /** a scenario's predictions, gathered */
  private zg = new Float64Array(0);
  private dzg = new Float64Array(0);
  private gtg = new Float64Array(0);
  private tRows = new Int32Array(0);
  private group = new Int32Array(0);

  /** room for a batch of `size` examples */
  grow(w: SeqWeights, size: number): this {
    if (this.slot.length >= size) return this;
    const d = w.shape.dim;
    while (this.passes.length < size) this.passes.push(userPass(w));
    this.slot = new Int32Array(size);
    this.target = new Int32Array(size);
    this.z = new Float64Array(size * d);
    this.dz = new Float64Array(size * d);
    this.zg = new Float64Array(size * d);
    this.dzg = new Float64Array(size * d);
    this.loss = new Float64Array(size);
    this.gt = new Float64Array(size);
    this.gtg = new Float64Array(size);
    this.gOff = new Int32Array(size);
    this.tRows = new Int32Array(size);
    this.group = new Int32Array(size);
    return this;
  }

  /**
   * The sampled softmax of the first p predictions (their z and target set): each against its target's
   * scenario's negatives (one equal to the target skipped), scored against the item rows of h; sets
   * loss, dz and the coefficients itemGrad reads.
   */
  softmax(
    w: SeqWeights,
    h: Float64Array,
    p: number,
    negatives: readonly (readonly number[])[],
    inv: number,
  ): void {
    const d = w.shape.dim;
    const { scenario } = w.inputs;
    const { target } = this;
    let need = 0;
    for (let q = 0; q < p; q++) need += negatives[scenario[target[q]!]!]?.length ?? 0;
    if (this.g.length < need) this.g = new Float64Array(need);
    const { z, dz, zg, dzg, gt, gtg, tRows, group, g } = this;
    let base = 0;
    // every scenario, one without negatives too (its predictions: the target alone, loss 0)
    for (let s = 0; s < Math.max(negatives.length, w.shape.numScenarios); s++) {
      const negs = negatives[s] ?? [];
      const m = negs.length;
      let pg = 0;
      for (let q = 0; q < p; q++) if (scenario[target[q]!] === s) group[pg++] = q;
      if (pg === 0) continue;
      const rows = new Int32Array(m);
      const bias = new Float64Array(m);
      for (let c = 0; c < m; c++) {
        rows[c] = negs[c]! * d;
        bias[c] = itemBias(w, negs[c]!);
      }
      for (let i = 0; i < pg; i++) zg.set(z.subarray(group[i]! * d, (group[i]! + 1) * d), i * d);
      const out = g.subarray(base, base + pg * m);
      blockLogits(zg, pg, h, rows, bias, m, d, out);
      for (let i = 0; i < pg; i++) {
        const q = group[i]!;
        const tgt = target[q]!;
        const o = tgt * d;
        let tl = itemBias(w, tgt);
        for (let k = 0; k < d; k++) tl += zg[i * d + k]! * h[o + k]!;
        const r = i * m;
        let lmax = tl;
        for (let c = 0; c < m; c++) if (negs[c] !== tgt && out[r + c]! > lmax) lmax = out[r + c]!;
        const et = Math.exp(tl - lmax);
        let lsum = 0 + et;
        for (let c = 0; c < m; c++) {
          if (negs[c] === tgt) {
            out[r + c] = 0;
            continue;
          }
          const x = Math.exp(out[r + c]! - lmax);
          out[r + c] = x;
          lsum += x;
        }
        for (let c = 0; c < m; c++) out[r + c] = (out[r + c]! / lsum) * inv;
        gt[q] = (et / lsum - 1) * inv;
        gtg[i] = gt[q]!;
        tRows[i] = o;
        this.gOff[q] = base + r;
        this.loss[q] = (Math.log(lsum) + lmax - tl) * inv;
      }
      blockGrad(out, gtg, tRows, pg, h, rows, m, d, dzg);
      for (let i = 0; i < pg; i++) dz.set(dzg.subarray(i * d, (i + 1) * d), group[i]! * d);
      base += pg * m;
    }
  }

  /**
   * Prediction q's gradient on the item side: the warm candidates' biases into grads.bias and the
   * candidates' rows of dh (the target first, then the negatives in order; those with a zero
   * coefficient skipped), four candidates at a time, each row taking its terms in that order.
   */
  itemGrad(
    w: SeqWeights,
    grads: SeqParams,
    q: number,
    tgt: number,
    negs: readonly number[],
    dh: Float64Array,
  ): void {
    const d = w.shape.dim;
    const { warm } = w.inputs;
    const g = this.g;
    const at = this.gOff[q]!;
    const coef = this.coef(negs.length + 1);
    const rowOf = this.rowOf;
    let m = 0;
    for (let c = -1; c < negs.length; c++) {
      const gc = c < 0 ? this.gt[q]! : g[at + c]!;
      if (gc === 0) continue;
      const j = c < 0 ? tgt : negs[c]!;
      if (warm[j] === 1) grads.bias[j]! += gc;
      coef[m] = gc;
      rowOf[m++] = j * d;
    }
    addRowGrads(dh, coef, rowOf, m, this.z, q * d, d);
  }

  private coefs = new Float64Array(0);
  private rowOf = new Int32Array(0);
  private coef(n: number): Float64Array {
    if (this.coefs.length < n) {
      this.coefs = new Float64Array(n);
      this.rowOf = new Int32Array(n);
    }
    return this.coefs;
  }
}
