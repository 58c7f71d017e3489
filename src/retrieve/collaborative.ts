/**
 * Items co-consumed with, or consumed right after, the user's history (all scenarios feed in), and
 * the items the latent factorisation predicts for it: the graphs' neighbours and the latent model's
 * best (and, for a user new to the scenario, the best items of the users most like them in the
 * others and what the users arriving from the others take up), taken in turn, so one does not
 * crowd the other out.
 */
import { topK } from '../core/topk.ts';
import { alsScore } from '../model/als.ts';
import type { RetrieveRequest, Retriever } from './types.ts';

export const collaborativeRetriever: Retriever = {
  name: 'collaborative',
  retrieve({ signals: q, k, skip }: RetrieveRequest): number[] {
    const code = q.scenarioCode;
    const evidence = (i: number) => q.knnSame[i]! + q.knnCross[i]! + q.trans[i]!;
    // the best k of the touched items of the scenario with some evidence
    const graphs = topK(q.touched, k, evidence, {
      skip: (i) => q.model.scenarioCode[i] !== code || skip(i) || !(evidence(i) > 0),
    });
    // the scenario's own latent model, or in a cold start the model of every scenario
    const own = q.model.graphs.als && q.alsUser;
    const latent = own ? q.model.graphs.als : q.model.graphs.alsFused;
    const user = own ? q.alsUser : q.alsFusedUser;
    const items = q.model.scenarioItems[code];
    // in a cold start, the items of the users most like this one in the other scenarios
    const peers =
      q.ownCount === 0 && q.usersCross.size > 0
        ? topK([...q.usersCross.keys()], k, (i) => q.usersCross.get(i)!, { skip })
        : [];
    // in a cold start from another scenario, what the users arriving from the others take up
    const pc = q.model.popularityCross;
    const arriving =
      q.ownCount === 0 && q.other && pc && items
        ? topK(items, k, (i) => pc[i]!, { skip }).filter((i) => pc[i]! > 0)
        : [];
    if ((!latent || !user || !items) && peers.length === 0 && arriving.length === 0) return graphs;
    const score = (i: number) => (latent && user ? alsScore(latent, user, i) : 0);
    const predicted =
      latent && user && items ? topK(items, k, score, { skip }).filter((i) => score(i) > 0) : [];
    const out: number[] = [];
    const seen = new Set<number>();
    const longest = Math.max(graphs.length, predicted.length, peers.length, arriving.length);
    for (let p = 0; out.length < k && p < longest; p++)
      for (const i of [graphs[p], predicted[p], peers[p], arriving[p]])
        if (i !== undefined && !seen.has(i) && out.length < k) {
          seen.add(i);
          out.push(i);
        }
    return out;
  },
};
