/**
 * The sasrec architecture in training (./sasrec.ts): an example is a window of a training
 * sequence, and every position of it predicts the next item (the window's next item, then the
 * example's target for the newest position) under the causal mask, each against its target's
 * scenario's shared negatives (sampled softmax, a negative equal to the target skipped). The loss of
 * an example is the sum over its positions; the batch's is their mean over the batch's examples.
 * The item side (caches, forward, backward, threads) is SeqNet's.
 */
import { seededRandom } from '../core/rng.ts';
import { sasState } from './forward.ts';
import { type Example, SeqNet } from './net.ts';
import type { SeqInputs, SeqParams, SeqShape } from './params.ts';
import { type SasCache, sasBackward, sasCache, sasForward } from './sasrec.ts';
import { scenarioStateBackward } from './scenario-state.ts';

class SasNet extends SeqNet {
  private cache: SasCache | undefined;

  constructor(
    shape: SeqShape,
    params: SeqParams,
    inputs: SeqInputs,
    /** dropout rate in training (0 = none) */
    readonly dropout = 0,
  ) {
    super(shape, params, inputs);
    if (shape.heads < 1 || shape.dim % shape.heads !== 0)
      throw new RangeError(`heads (${shape.heads}) must divide dim (${shape.dim})`);
  }

  protected override examples(
    batch: readonly Example[],
    negatives: readonly (readonly number[])[],
    grads: SeqParams,
    norm: number,
    lazy: boolean,
  ): number {
    const { d } = this;
    const P = this.params;
    const L = this.shape.maxLen;
    this.cache ??= sasCache(this);
    const c = this.cache;
    const dO = new Float64Array(L * d);
    const dx = new Float64Array(L * d);
    const v = new Float64Array(d);
    const z = new Float64Array(d);
    const dz = new Float64Array(d);
    const gate = new Float64Array(d);
    const dv = new Float64Array(d);
    const inv = 1 / norm;
    let loss = 0;
    for (const ex of batch) {
      const n = Math.min(ex.hist.length, L);
      if (n === 0) continue;
      const start = ex.hist.length - n;
      if (lazy) for (let t = 0; t < n; t++) this.ensure(ex.hist[start + t]!);
      const drop =
        this.dropout > 0
          ? {
              rate: this.dropout,
              rnd: seededRandom(
                (Math.imul(this.dropoutSeed, 0x9e3779b1) ^ Math.imul((ex.key ?? 0) + 1, 0x85ebca6b)) >>> 0,
              ),
            }
          : undefined;
      sasForward(this, this.h, ex.hist, start, n, c, drop);
      dO.fill(0, 0, n * d);
      for (let t = 0; t < n; t++) {
        const tgt = t + 1 < n ? ex.hist[start + t + 1]! : ex.target;
        const s = this.inputs.scenario[tgt]!;
        const oo = t * d;
        sasState(this, c, t, s, v, z, gate);
        loss += this.sampledSoftmax(z, tgt, negatives[s] ?? [], inv, grads, dz, lazy);
        scenarioStateBackward(this, grads, v, s, gate, dz, dv);
        for (let r = 0; r < d; r++) {
          const g = dv[r]!;
          if (g === 0) continue;
          for (let k = 0; k < d; k++) {
            grads.wo[r * d + k]! += g * c.o[oo + k]!;
            dO[oo + k]! += P.wo[r * d + k]! * g;
          }
        }
      }
      sasBackward(this, c, dO, grads, dx);
      for (let t = 0; t < n; t++) {
        const ho = ex.hist[start + t]! * d;
        for (let k = 0; k < d; k++) this.dh[ho + k]! += dx[t * d + k]!;
      }
    }
    return loss;
  }
}

/** the training network of a shape's architecture */
export function netOf(shape: SeqShape, params: SeqParams, inputs: SeqInputs, dropout: number): SeqNet {
  return shape.arch === 'sasrec'
    ? new SasNet(shape, params, inputs, dropout)
    : new SeqNet(shape, params, inputs);
}
