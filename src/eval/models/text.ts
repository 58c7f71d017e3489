import { RecError } from '../../core/errors.ts';
import type { EvalData, EvalModel, EvalQuery, FitOptions } from '../types.ts';
import { recencyWeighted, tune } from './common.ts';
import { round } from './itemknn.ts';

/**
 * Text only: cosine of each item's language-model vector to the recency-weighted mean of the
 * history's vectors. Learns nothing from interactions, so it reaches cold items as well as warm ones;
 * the recency decay is tuned on valid.
 */
export class TextOnly implements EvalModel {
  readonly name = 'text';
  private decay = 1;
  private validNdcg = 0;
  private dim = 0;
  private vectors: Float32Array = new Float32Array(0);
  private numItems = 0;
  private encoder = '';

  params(): Record<string, number | string | boolean> {
    return { decay: this.decay, encoder: this.encoder, validNdcg10: round(this.validNdcg) };
  }

  async fit(data: EvalData, opts: FitOptions): Promise<void> {
    if (!data.itemVectors) {
      throw new RecError('INVALID_INPUT', `the text model needs item vectors, and ${data.dataset} has none`, {
        field: 'itemVectors',
      });
    }
    this.dim = data.itemVectors.dim;
    this.vectors = data.itemVectors.data;
    this.encoder = data.itemVectors.encoder;
    this.numItems = data.itemIds.length;
    const r = await tune(
      'text',
      [1, 0.9, 0.7, 0.5, 0.3, 0.1],
      (decay) => {
        this.decay = decay;
        return opts.objective((q) => this.score(q));
      },
      opts,
    );
    this.decay = r.best;
    this.validNdcg = r.score;
  }

  score(query: EvalQuery): Float32Array {
    const d = this.dim;
    const user = new Float32Array(d);
    for (const { item, w } of recencyWeighted(query.history, this.decay)) {
      const o = item * d;
      for (let k = 0; k < d; k++) user[k]! += w * this.vectors[o + k]!;
    }
    const scores = new Float32Array(this.numItems);
    for (let i = 0; i < this.numItems; i++) {
      let s = 0;
      const o = i * d;
      for (let k = 0; k < d; k++) s += user[k]! * this.vectors[o + k]!;
      scores[i] = s;
    }
    return scores;
  }
}
