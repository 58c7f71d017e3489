/** Items co-consumed with, or consumed right after, the user's history (all scenarios feed in). */
import type { RetrieveRequest, Retriever } from './types.ts';

export const collaborativeRetriever: Retriever = {
  name: 'collaborative',
  retrieve({ query: q, k, skip }: RetrieveRequest): number[] {
    const code = q.scenarioCode;
    const scored: { item: number; s: number }[] = [];
    for (const i of q.touched) {
      if (q.model.scenarioCode[i] !== code || skip(i)) continue;
      const s = q.knnSame[i]! + q.knnCross[i]! + q.trans[i]!;
      if (s > 0) scored.push({ item: i, s });
    }
    scored.sort((a, b) => b.s - a.s || a.item - b.item);
    return scored.slice(0, k).map((x) => x.item);
  },
};
