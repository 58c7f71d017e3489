/** Items co-consumed with, or consumed right after, the user's history (all scenarios feed in). */
import { topK } from '../core/topk.ts';
import type { RetrieveRequest, Retriever } from './types.ts';

export const collaborativeRetriever: Retriever = {
  name: 'collaborative',
  retrieve({ signals: q, k, skip }: RetrieveRequest): number[] {
    const code = q.scenarioCode;
    const evidence = (i: number) => q.knnSame[i]! + q.knnCross[i]! + q.trans[i]!;
    // the best k of the touched items of the scenario with some evidence
    return topK(q.touched, k, evidence, {
      skip: (i) => q.model.scenarioCode[i] !== code || skip(i) || !(evidence(i) > 0),
    });
  },
};
