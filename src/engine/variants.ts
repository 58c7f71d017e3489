/**
 * How an experiment's variant changes the engine's answer: its diversity, its own retriever
 * chain, fusion at request time. Rankings with their own chain are made once per chain and kept
 * with the engine generation.
 */
import type { Retriever } from '../retrieve/types.ts';
import type { Variant } from './experiments.ts';
import { Ranking, type RankingDeps } from './recommend.ts';
import type { ValidRecommendRequest } from './requests.ts';

export interface VariantDeps {
  /** the engine's own ranking: a variant that changes neither chain nor model answers with it */
  ranking: Ranking;
  /** what the engine's ranking was built from */
  rankingDeps: RankingDeps;
  /** every retriever by name */
  retrievers: Readonly<Record<string, Retriever>>;
}

export class Variants {
  private readonly rankings = new Map<string, Ranking>();

  constructor(private readonly d: VariantDeps) {}

  /** the ranking of a variant with its own retriever chain (its candidates are not memoised) */
  rankingOf(v: Variant): Ranking {
    if (!v.retrievers) return this.d.ranking;
    const key = v.retrievers.join(',');
    let r = this.rankings.get(key);
    if (!r) {
      const base = this.d.rankingDeps;
      r = new Ranking({
        ...base,
        config: { ...base.config, rankCacheSeconds: 0 },
        chain: v.retrievers.map((name) => this.d.retrievers[name]!),
      });
      this.rankings.set(key, r);
    }
    return r;
  }
}

/** the request with a variant's diversity, when it sets one */
export function withVariant(req: ValidRecommendRequest, v: Variant): ValidRecommendRequest {
  return v.diversity === undefined ? req : { ...req, diversity: v.diversity };
}
