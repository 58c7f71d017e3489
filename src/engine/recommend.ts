/**
 * One recommendation request after its profile is read: retrieve through the fallback chain, score
 * (context-free part memoised per profile), add the request's context, diversify with MMR, explain.
 * Synchronous from end to end, so the query may borrow the engine's scratch arrays.
 */

import type { EngineConfig } from '../config/engine.ts';
import type { Scenario } from '../core/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { UserProfile } from '../profile/types.ts';
import { explainBase, finishExplanation } from '../rank/explain.ts';
import type { ItemFacts } from '../rank/filter/facts.ts';
import { type GroupCap, mmr, withinCap } from '../rank/mmr.ts';
import { baseScores, type Query, requestContextKeys, withContext } from '../rank/query.ts';
import { retrieveChain } from '../retrieve/chain.ts';
import type { Retriever } from '../retrieve/types.ts';
import { freshness, place, recommendationOf } from './answer-items.ts';
import { NO_CONTROLS, type RequestControls } from './controls.ts';
import type { LiveItems } from './live-items.ts';
import type { ProfileMemo, RankedEntry } from './memo.ts';
import type { ValidRecommendRequest } from './requests.ts';
import { everyCandidate } from './score-all.ts';
import type { BoostReason, RecommendResponse } from './types.ts';

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
  /** item attributes, for the scenario rules maxPerCategory and freshnessBoost */
  facts: ItemFacts;
}

/** the engine's request-time ranking, over the parts the engine owns */
export class Ranking {
  constructor(private readonly d: RankingDeps) {}

  /** the model it ranks with (a variant's may be another version's) */
  get model(): ScoringModel {
    return this.d.model;
  }

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
    const entry = this.gather(req, query, profile, scenario, code, k, undefined);
    if (cacheable) this.d.memo.setRanked(profile, key, entry);
    return entry;
  }

  /** retrieval through the chain and context-free scores; `accept`: only items it lets through */
  private gather(
    req: ValidRecommendRequest,
    query: () => Query,
    profile: UserProfile,
    scenario: Scenario | undefined,
    code: number,
    k: number,
    accept: ((i: number) => boolean) | undefined,
  ): RankedEntry {
    const q = query();
    const rules = this.skipFor(req, profile, scenario);
    const skip = accept ? (i: number) => rules(i) || !accept(i) : rules;
    const found =
      code < 0
        ? { items: [], source: new Map<number, string>(), used: [] }
        : this.d.config.candidates === 0
          ? everyCandidate(this.d.model, code, skip)
          : retrieveChain(this.d.chain, { signals: q, k, skip }, FILLERS);
    return {
      at: Date.now(),
      items: found.items,
      source: found.source,
      used: found.used,
      base: baseScores(q, found.items),
      weights: q.weights,
      explained: new Map(),
      similar: new Map(),
    };
  }

  /**
   * The candidates `accept` lets through: those of `r` when they are at least `need`, else a
   * retrieval of its own through the whole chain (the fillers included), so a narrow filter
   * still fills the list with the items it allows.
   */
  private narrowed(
    r: Pool,
    accept: (i: number) => boolean,
    need: number,
    req: ValidRecommendRequest,
    query: () => Query,
    profile: UserProfile,
    scenario: Scenario | undefined,
    code: number,
    key: string | undefined,
  ): Pool {
    const from = subset(r, accept);
    if (from.items.length >= need || code < 0) return from;
    // a promotion needs its few slots' worth: a narrow one scans the scenario's catalog for them
    const k = need < req.n ? Math.max(10, 4 * need) : Math.max(this.d.config.candidates, 4 * need);
    // kept like the plain candidates, under the filter's text, and filtered again on every use
    // (with the request's own skip list too), so a kept entry never lets a forbidden item through
    const e = this.d.config;
    const ttl = e.rankCacheSeconds * 1000;
    const cacheable = key !== undefined && ttl > 0 && (req.exclude?.length ?? 0) === 0;
    const memoKey = `${req.scenario}:${k}:${key}`;
    const hit = cacheable ? this.d.memo.getRanked(profile, memoKey, Date.now(), ttl) : undefined;
    if (hit) {
      const skip = this.skipFor(req, profile, scenario);
      const again = subset(hit, (i) => accept(i) && !skip(i));
      if (again.items.length >= Math.min(need, hit.items.length)) return again;
    }
    const entry = this.gather(req, query, profile, scenario, code, k, accept);
    if (cacheable && this.d.memo.rankedCount(profile) < MAX_FILTERED_ENTRIES)
      this.d.memo.setRanked(profile, memoKey, entry);
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

  /**
   * The ranker's scores of a pool with the request's context, then the scenario's freshness boost
   * and the request's boosts, in that order.
   */
  private scored(
    pool: Pool,
    ctxKeys: readonly string[],
    req: ValidRecommendRequest,
    c: RequestControls,
    now: number,
  ) {
    const scores = withContext(this.d.model, pool.weights, ctxKeys, pool.items, pool.base);
    const fresh = this.d.config.rules[req.scenario]?.freshnessBoost;
    if (!fresh && c.boosts.length === 0) return scores;
    for (let j = 0; j < pool.items.length; j++) {
      let s = scores[j]!;
      if (fresh) s += freshness(this.d.facts.createdAtOf(pool.items[j]!), fresh, now);
      for (const b of c.boosts) if (b.test(pool.items[j]!)) s = s * b.multiply + b.add;
      scores[j] = s;
    }
    return scores;
  }

  /** the boosts that moved an item's score, as its explanation shows them */
  private boostReasons(
    item: number,
    ranker: number,
    req: ValidRecommendRequest,
    c: RequestControls,
    now: number,
  ) {
    const out: BoostReason[] = [];
    let s = ranker;
    const fresh = this.d.config.rules[req.scenario]?.freshnessBoost;
    if (fresh) {
      const f = freshness(this.d.facts.createdAtOf(item), fresh, now);
      if (f !== 0) out.push({ source: 'freshness', effect: f });
      s += f;
    }
    for (const b of c.boosts) {
      if (!b.test(item)) continue;
      const next = s * b.multiply + b.add;
      out.push({
        source: 'boost',
        index: b.index,
        when: b.when,
        ...(b.multiply !== 1 ? { multiply: b.multiply } : {}),
        ...(b.add !== 0 ? { add: b.add } : {}),
        effect: next - s,
      });
      s = next;
    }
    return out;
  }

  /**
   * The answer to a request: its candidates (narrowed by its filter), the request's context and
   * boosts, the promoted slots, MMR within the scenario's category cap, and explanations.
   */
  answer(
    req: ValidRecommendRequest,
    query: () => Query,
    profile: UserProfile,
    scenario: Scenario | undefined,
    code: number,
    controls: RequestControls = NO_CONTROLS,
  ): RecommendResponse {
    const m = this.d.model;
    const now = Date.now();
    const r = this.candidates(req, query, profile, scenario, code);
    const filter = controls.filter;
    const promo = controls.promote;
    const pool: Pool = filter
      ? this.narrowed(r, filter, req.n, req, query, profile, scenario, code, controls.filterKey)
      : r;
    // the request's own part: context, diversity, explanations, with the weights the candidates
    // were scored with (kept with them: no bucket lookup per request)
    const ctxKeys = requestContextKeys(m, req.context, now);
    const scores = this.scored(pool, ctxKeys, req, controls, now);
    const lambda = req.diversity ?? this.d.config.rules[req.scenario]?.diversity ?? this.d.config.diversity;
    const maxPer = this.d.config.rules[req.scenario]?.maxPerCategory;
    const cap: GroupCap | undefined = maxPer
      ? { groupOf: (i) => this.d.facts.leafCategory(i), max: maxPer, counts: new Map() }
      : undefined;
    // promoted: the best-scored items of the promotion (within the filter), in the ranker's order
    let promoted: number[] = [];
    const scoreOf = new Map<number, number>();
    const sourceOf = (i: number) => pool.source.get(i) ?? r.source.get(i) ?? NOT_RETRIEVED;
    let sources: (string | undefined)[] = [];
    const pools: Pool[] = [r, pool];
    if (promo) {
      const accept = filter ? (i: number) => filter(i) && promo.accept(i) : promo.accept;
      const slots = Math.min(promo.slots, req.n);
      const key = `${controls.filterKey ?? ''}\u0000${promo.key}`;
      const pp = this.narrowed(pool, accept, slots, req, query, profile, scenario, code, key);
      const ps = pp === pool ? scores : this.scored(pp, ctxKeys, req, controls, now);
      let order = pp.items.map((_, j) => j).sort((a, b) => ps[b]! - ps[a]! || pp.items[a]! - pp.items[b]!);
      if (cap) order = withinCap(order, (j) => cap.groupOf(pp.items[j]!), cap);
      promoted = order.slice(0, slots).map((j) => pp.items[j]!);
      for (const j of order.slice(0, slots)) {
        const it = pp.items[j]!;
        scoreOf.set(it, ps[j]!);
        const g = cap?.groupOf(it);
        if (cap && g !== undefined) cap.counts.set(g, (cap.counts.get(g) ?? 0) + 1);
      }
      sources = promoted.map((i) => pp.source.get(i));
      pools.push(pp);
    }
    const taken = new Set(promoted);
    const organicIdx: number[] = [];
    for (let j = 0; j < pool.items.length; j++) if (!taken.has(pool.items[j]!)) organicIdx.push(j);
    const organicItems = organicIdx.map((j) => pool.items[j]!);
    const organicScores = Float32Array.from(organicIdx, (j) => scores[j]!);
    organicIdx.forEach((j) => {
      scoreOf.set(pool.items[j]!, scores[j]!);
    });
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
    const organic = mmr(
      organicItems,
      organicScores,
      req.n - promoted.length,
      lambda,
      similar,
      live.simFloor,
      cap,
    );
    const picked = place(organic, promoted, promo?.placement ?? 'top', req.n);
    const promotedSet = new Set(promoted);
    const promotedSource = new Map(promoted.map((it, k) => [it, sources[k]]));
    const usesBoosts =
      controls.boosts.length > 0 || this.d.config.rules[req.scenario]?.freshnessBoost !== undefined;
    return {
      user: req.user,
      scenario: req.scenario,
      items: picked.map((it) => {
        let base = r.explained.get(it);
        if (!base) {
          base = explainBase(query(), it);
          r.explained.set(it, base);
        }
        const x = finishExplanation(m, pool.weights, ctxKeys, base);
        const rec = recommendationOf(m, it, scoreOf.get(it)!, promotedSource.get(it) ?? sourceOf(it), x);
        if (usesBoosts) {
          const b = this.boostReasons(it, x.score, req, controls, now);
          if (b.length > 0) rec.reasons.boosts = b;
        }
        if (promotedSet.has(it)) rec.promoted = true;
        return rec;
      }),
      retrievers: usedOf(this.d.chain, pools),
      modelVersion: this.d.modelVersion,
    };
  }
}

/** ranked entries a profile may hold for filtered requests, besides the plain ones */
const MAX_FILTERED_ENTRIES = 16;

/** the pool's items `accept` lets through, with their scores */
function subset(r: Pool, accept: (i: number) => boolean): Pool {
  const keep: number[] = [];
  for (let j = 0; j < r.items.length; j++) if (accept(r.items[j]!)) keep.push(j);
  return {
    items: keep.map((j) => r.items[j]!),
    base: Float32Array.from(keep, (j) => r.base[j]!),
    source: r.source,
    used: r.used,
    weights: r.weights,
  };
}

/** candidates with their context-free scores, aligned */
interface Pool {
  items: number[];
  base: Float32Array;
  source: ReadonlyMap<number, string>;
  used: string[];
  weights: readonly number[];
}

/** the chain's retrievers that contributed to any of the pools, in chain order */
function usedOf(chain: readonly Retriever[], pools: readonly Pool[]): string[] {
  const used = new Set(pools.flatMap((p) => p.used));
  return chain.map((r) => r.name).filter((name) => used.has(name));
}

/** retrievers that only fill what the relevance-driven ones left */
const FILLERS: ReadonlySet<string> = new Set(['catalog']);
