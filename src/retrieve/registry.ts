/**
 * The retrievers by name, as a plain data object: the engine hands over what they read (its
 * vector indices, search cache and ranked lists) and the config's chain picks from the result.
 */
import type { VectorIndex } from '../index/types.ts';
import { collaborativeRetriever } from './collaborative.ts';
import { listRetriever, type RankedLists } from './popular.ts';
import { type SearchCache, semanticRetriever } from './semantic.ts';
import type { Retriever } from './types.ts';

/** what the engine owns and keeps current, for the retrievers to read */
interface RetrieverSources {
  /** the scenario's vector index (undefined when it has no item vectors) */
  index: (scenarioCode: number) => VectorIndex | undefined;
  searchCache?: SearchCache;
  trending: RankedLists;
  popular: RankedLists;
  /** every item of the scenario */
  catalog: RankedLists;
}

export type RetrieverFactory = (sources: RetrieverSources) => Readonly<Record<string, Retriever>>;

export const defaultRetrievers: RetrieverFactory = (s) => ({
  collaborative: collaborativeRetriever,
  semantic: semanticRetriever(s.index, s.searchCache),
  trending: listRetriever('trending', s.trending),
  popular: listRetriever('popular', s.popular),
  catalog: listRetriever('catalog', s.catalog),
});
