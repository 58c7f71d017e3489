/** Items co-consumed with, or consumed right after, the user's history (all scenarios feed in). */
import { topK } from '../core/topk.ts';
import type { RetrieveRequest, Retriever } from './types.ts';

export const collaborativeRetriever: Retriever = {
  name: 'collaborative',
  retrieve({ query: q, k, skip }: RetrieveRequest): number[] {
    const code = q.scenarioCode;
    // the best k of every touched item of the scenario with some evidence (NaN leaves one out)
    return topK(q.touched, k, (i) => {
      if (q.model.scenarioCode[i] !== code || skip(i)) return Number.NaN;
      const s = q.knnSame[i]! + q.knnCross[i]! + q.trans[i]!;
      return s > 0 ? s : Number.NaN;
    });
  },
};
