/** Popular, trending and whole-catalog retrievers: what a brand-new user or scenario still gets. */
import type { RetrieveRequest, Retriever } from './types.ts';

/** best-first item lists per scenario code, kept current by the engine */
export type RankedLists = (scenarioCode: number) => ArrayLike<number> & Iterable<number>;

function firstK(list: Iterable<number>, k: number, skip: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (const i of list) {
    if (out.length >= k) break;
    if (!skip(i)) out.push(i);
  }
  return out;
}

export function listRetriever(name: string, lists: RankedLists): Retriever {
  return {
    name,
    retrieve: ({ signals, k, skip }: RetrieveRequest) => firstK(lists(signals.scenarioCode), k, skip),
  };
}
