/**
 * The named fallback chain: retrievers run in order; the relevance-driven ones are merged
 * round-robin (so one cannot crowd the others out, and what one lacks the next fills), then the
 * fillers (`catalog`) top up, so every request gets its candidates.
 */
import type { RetrieveRequest, Retriever } from './types.ts';

export interface Candidates {
  items: number[];
  /** the retriever that proposed each item first */
  source: Map<number, string>;
  /** retrievers that contributed at least one item, in chain order */
  used: string[];
}

export function retrieveChain(
  chain: readonly Retriever[],
  req: RetrieveRequest,
  fillerNames: ReadonlySet<string>,
): Candidates {
  const source = new Map<number, string>();
  const lists = chain
    .filter((r) => !fillerNames.has(r.name))
    .map((r) => ({ name: r.name, items: r.retrieve(req) }));
  for (let pos = 0; source.size < req.k && lists.some((l) => pos < l.items.length); pos++) {
    for (const l of lists) {
      const i = l.items[pos];
      if (i !== undefined && !source.has(i) && source.size < req.k) source.set(i, l.name);
    }
  }
  for (const r of chain) {
    if (!fillerNames.has(r.name) || source.size >= req.k) continue;
    const got = r.retrieve({ ...req, k: req.k - source.size, skip: (i) => source.has(i) || req.skip(i) });
    for (const i of got) source.set(i, r.name);
  }
  const contributed = new Set(source.values());
  return {
    items: [...source.keys()],
    source,
    used: chain.map((r) => r.name).filter((n) => contributed.has(n)),
  };
}
