import type { EvalData, EvalModel, EvalQuery } from '../types.ts';
import { interactionCounts } from './common.ts';

/** PopRec: every user gets the items with the most training interactions (within the scenario). */
export class Popularity implements EvalModel {
  readonly name = 'popularity';
  private counts: Float32Array = new Float32Array(0);

  params(): Record<string, number | string | boolean> {
    return { count: 'training interactions' };
  }

  async fit(data: EvalData): Promise<void> {
    this.counts = interactionCounts(data);
  }

  score(_query: EvalQuery): Float32Array {
    return this.counts;
  }
}
