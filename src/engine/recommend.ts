/**
 * One recommendation request after its profile is read: retrieve through the fallback chain, score
 * (context-free part memoised per profile), add the request's context, diversify with MMR, explain.
 * Synchronous from end to end, so the query may borrow the engine's scratch arrays.
 */

import type { EngineConfig } from '../config/engine.ts';
import type { Scenario } from '../core/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { UserProfile } from '../profile/types.ts';
import { explainBase, finishExplanation, type ItemExplanation } from '../rank/explain.ts';
import { mmr } from '../rank/mmr.ts';
import { baseScores, type Query, requestContextKeys, withContext } from '../rank/query.ts';
import { retrieveChain } from '../retrieve/chain.ts';
import type { Retriever } from '../retrieve/types.ts';
import type { LiveItems } from './live-items.ts';
import type { ProfileMemo, RankedEntry } from './memo.ts';
import type { ValidRecommendRequest } from './requests.ts';
import { everyCandidate } from './score-all.ts';
import type { Explanation, Recommendation, RecommendResponse } from './types.ts';

/** what `Explanation.retriever` says of an item the chain would not propose for this request */
export const NOT_RETRIEVED = 'none';

/**
 * The retriever credited with an item: the one of the chain that proposed it for this profile and
 * scenario. The single rule recommend and explain both name retrievers by.
 */
export function retrieverOf(candidates: Pick<RankedEntry, 'source'>, item: number): string {
  return candidates.source.get(item) ?? NOT_RETRIEVED;
}

export interface RankingDeps {
  model: ScoringModel;
  config: EngineConfig;
  /** item id -> dense index */
  index: ReadonlyMap<string, number>;
  live: LiveItems;
  memo: ProfileMemo;
  chain: readonly Retriever[];
  modelVersion: string;
}

/** the engine's request-time ranking, over the parts the engine owns */
export class Ranking {
  constructor(private readonly d: RankingDeps) {}

  /**
   * Retrieval and context-free scores of the scenario's candidates for this profile: kept in the
   * memo (see memo.ts) unless the request brings its own exclusions. `code` < 0: a scenario with
   * no items yet.
   */
  candidates(
    req: ValidRecommendRequest,
    query: () => Query,
    profile: UserProfile,
    scenario: Scenario | undefined,
    code: number,
  ): RankedEntry {
    const e = this.d.config;
    const k = Math.max(e.candidates, 4 * req.n);
    const ttl = e.rankCacheSeconds * 1000;
    const cacheable = ttl > 0 && code >= 0 && (req.exclude?.length ?? 0) === 0;
    const key = `${req.scenario}:${k}`;
    const now = Date.now();
    const hit = cacheable ? this.d.memo.getRanked(profile, key, now, ttl) : undefined;
    if (hit) return hit;
    const q = query();
    const found =
      code < 0
        ? { items: [], source: new Map<number, string>(), used: [] }
        : e.candidates === 0
          ? everyCandidate(this.d.model, code, this.skipFor(req, profile, scenario))
          : retrieveChain(
              this.d.chain,
              { signals: q, k, skip: this.skipFor(req, profile, scenario) },
              FILLERS,
            );
    const entry: RankedEntry = {
      at: now,
      items: found.items,
      source: found.source,
      used: found.used,
      base: baseScores(q, found.items),
      weights: q.weights,
      explained: new Map(),
      similar: new Map(),
    };
    if (cacheable) this.d.memo.setRanked(profile, key, entry);
    return entry;
  }

  /** items never proposed: consumed (unless the scenario allows repeats), excluded, unavailable */
  private skipFor(
    req: ValidRecommendRequest,
    profile: UserProfile,
    scenario: Scenario | undefined,
  ): (i: number) => boolean {
    const rule = this.d.config.rules[req.scenario];
    const allowRepeats = rule?.allowRepeats ?? scenario?.allowRepeats ?? false;
    const excluded = new Set<number>();
    for (const id of [...(rule?.exclude ?? []), ...(req.exclude ?? [])]) {
      const i = this.d.index.get(id);
      if (i !== undefined) excluded.add(i);
    }
    // built on first use: a request answered from the ranked memo never asks
    let consumed: Set<number> | undefined;
    const available = this.d.live.available;
    return (i) => {
      consumed ??= new Set(allowRepeats ? [] : profile.history.map((h) => h.item));
      return consumed.has(i) || excluded.has(i) || !available[i];
    };
  }

  /** the answer to a request: its candidates, the request's context, MMR and explanations */
  answer(
    req: ValidRecommendRequest,
    query: () => Query,
    profile: UserProfile,
    scenario: Scenario | undefined,
    code: number,
  ): RecommendResponse {
    const m = this.d.model;
    const r = this.candidates(req, query, profile, scenario, code);
    // the request's own part: context, diversity, explanations, with the weights the candidates
    // were scored with (kept with them: no bucket lookup per request)
    const weights = r.weights;
    const ctxKeys = requestContextKeys(m, req.context, Date.now());
    const scores = withContext(m, weights, ctxKeys, r.items, r.base);
    const lambda = req.diversity ?? this.d.config.rules[req.scenario]?.diversity ?? this.d.config.diversity;
    // the similarities depend on the two items only: kept with the candidates for the next request
    const n = m.numItems;
    const live = this.d.live;
    const similar = (a: number, b: number) => {
      // ordered: the co-occurrence fallback need not be symmetric
      const key = a * n + b;
      let s = r.similar.get(key);
      if (s === undefined) {
        s = live.similarity(a, b);
        r.similar.set(key, s);
      }
      return s;
    };
    const picked = mmr(r.items, scores, req.n, lambda, similar, live.simFloor);
    return {
      user: req.user,
      scenario: req.scenario,
      items: picked.map((it) => {
        let base = r.explained.get(it);
        if (!base) {
          base = explainBase(query(), it);
          r.explained.set(it, base);
        }
        const x = finishExplanation(m, weights, ctxKeys, base);
        // ten lookups in a hundred candidates: cheaper than a map built per request
        return recommendationOf(m, it, scores[r.items.indexOf(it)]!, retrieverOf(r, it), x);
      }),
      retrievers: r.used,
      modelVersion: this.d.modelVersion,
    };
  }
}

/** retrievers that only fill what the relevance-driven ones left */
const FILLERS: ReadonlySet<string> = new Set(['catalog']);

function recommendationOf(
  m: ScoringModel,
  item: number,
  score: number,
  retriever: string,
  x: ItemExplanation,
): Recommendation {
  return {
    item: m.itemIds[item]!,
    title: m.titles[item] ?? '',
    scenario: m.scenarios[m.scenarioCode[item]!]!,
    score,
    reasons: reasonsOf(m, x, retriever),
  };
}

export function reasonsOf(m: ScoringModel, x: ItemExplanation, retriever: string): Explanation {
  return {
    retriever,
    ...(x.interest ? { interest: x.interest } : {}),
    history: x.history.map((h) => ({
      item: m.itemIds[h.item]!,
      title: m.titles[h.item] ?? '',
      scenario: h.scenario,
      contribution: h.share,
    })),
    context: x.context,
  };
}
