/** Candidate generation: each retriever proposes items of the request's scenario, best first. */
import type { Query } from '../rank/query.ts';

export interface RetrieveRequest {
  query: Query;
  k: number;
  /** items that may not be proposed (consumed, excluded, unavailable) */
  skip: (item: number) => boolean;
}

export interface Retriever {
  readonly name: string;
  retrieve(req: RetrieveRequest): number[];
}
