/**
 * The engine behind the library API: profile -> retrieve -> rank -> re-rank -> explain, on an
 * in-memory scoring model built from the store, updated in place as events and items arrive.
 */
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import {
  type Context,
  type Event,
  eventSchema,
  type Item,
  itemSchema,
  type Scenario,
} from '../core/types.ts';
import { validate } from '../core/validate.ts';
import { dotRows } from '../core/vec.ts';
import { encodeItems, fusionOptionsOf, loadItemVectors } from '../encode/catalog.ts';
import type { Encoder } from '../encode/types.ts';
import type { VectorIndexFactory } from '../index/create.ts';
import type { VectorIndex } from '../index/types.ts';
import { buildProfile, type ProfileOptions, updateProfile } from '../profile/interests.ts';
import type { HistoryEntry, UserProfile } from '../profile/types.ts';
import { eventWeight } from '../profile/weights.ts';
import { contextKeys, recordContext } from '../rank/context.ts';
import { explainBase, explainItem, finishExplanation, type ItemExplanation } from '../rank/explain.ts';
import { mmr } from '../rank/mmr.ts';
import { itemSpaceOf, type ScoringModel, vectorOf } from '../rank/model.ts';
import {
  baseScores,
  prepareQuery,
  type Query,
  QueryScratch,
  requestContextKeys,
  scoreCandidates,
  withContext,
} from '../rank/query.ts';
import { retrieveChain } from '../retrieve/chain.ts';
import type { RetrieverFactory } from '../retrieve/registry.ts';
import type { Retriever } from '../retrieve/types.ts';
import type { Store } from '../store/types.ts';
import { edgeWeight } from '../train/graph.ts';
import { appendItems } from './grow.ts';
import type { RankedCounts } from './lists.ts';
import { ProfileMemo, type RankedEntry } from './memo.ts';
import { DEFAULT_N, recommendRequestSchema } from './requests.ts';
import { HELD_OUT } from './snapshot.ts';
import type {
  Engine,
  Explanation,
  Interest,
  PeerChange,
  Recommendation,
  RecommendRequest,
  RecommendResponse,
  UserProfileView,
} from './types.ts';

export interface EngineParts {
  config: Config;
  store: Store;
  ownsStore: boolean;
  encoder: Encoder | undefined;
  ownsEncoder: boolean;
  /** picked by the composition root (engine/create.ts), like every implementation */
  vectorIndex: VectorIndexFactory;
  retrievers: RetrieverFactory;
  model: ScoringModel;
  index: Map<string, number>;
  available: Uint8Array;
  scenarios: Map<string, Scenario>;
  popular: RankedCounts;
  trending: RankedCounts;
  modelVersion: string;
}

const PROFILE_CACHE = 50_000;
/** profiles whose request-time work is memoised (each holds up to a few hundred items' features) */
const PROFILE_MEMO = 4096;

export class FusionEngine implements Engine {
  private readonly m: ScoringModel;
  private available: Uint8Array;
  private readonly profiles = new Map<string, UserProfile>();
  /** entries added to a cached profile since it was clustered; applied on its next read */
  private readonly pending = new Map<string, HistoryEntry[]>();
  /** per-profile text features and semantic search answers (see memo.ts) */
  private readonly memo = new ProfileMemo(PROFILE_MEMO);
  private readonly scratch = new QueryScratch();
  private readonly indices = new Map<number, VectorIndex>();
  private readonly chain: Retriever[];
  private readonly profileOpts: ProfileOptions;
  private closed = false;
  /** the addEvents group still taking batches this turn, and every group not yet committed */
  private eventGroup: EventGroup | undefined;
  private readonly flushing = new Set<Promise<void>>();
  private simFloor: number;
  /**
   * Set by a multi-process server (src/serve/cluster.ts): told of every write after it is stored
   * and applied here, and awaited, so the other processes have it before the write is answered.
   */
  peers: ((change: PeerChange) => Promise<void>) | undefined;

  constructor(private readonly p: EngineParts) {
    this.m = p.model;
    this.available = p.available;
    const e = p.config.engine;
    this.profileOpts = {
      maxInterests: e.maxInterests,
      recencyDecay: e.profileDecay,
      negativePush: e.negativePush,
      maxHistory: e.maxHistory,
    };
    this.m.scenarios.forEach((_, code) => {
      this.buildIndex(code);
    });
    this.simFloor = this.similarityFloor();
    const all = p.retrievers({
      index: (code) => this.indices.get(code),
      searchCache: this.memo,
      trending: (code) => p.trending.list(code),
      popular: (code) => p.popular.list(code),
      catalog: (code) => this.m.scenarioItems[code] ?? [],
    });
    this.chain = e.retrievers.map((name) => all[name]!);
  }

  private buildIndex(code: number): void {
    const m = this.m;
    if (m.dim === 0) return;
    const items = Array.from(m.scenarioItems[code] ?? []).filter((i) => m.hasVector[i] && this.available[i]);
    const index = this.p.vectorIndex(m.dim, items.length);
    const data = new Float32Array(items.length * m.dim);
    items.forEach((it, r) => {
      data.set(vectorOf(m, it)!, r * m.dim);
    });
    index.add(items, data);
    this.indices.set(code, index);
  }

  private check(): void {
    if (this.closed) throw new RecError('INTERNAL', 'engine is closed');
  }

  private scenarioOf(id: string, field = 'scenario'): { scenario: Scenario | undefined; code: number } {
    const code = this.m.scenarios.indexOf(id);
    const scenario = this.p.scenarios.get(id);
    if (code < 0 && !scenario) {
      throw new RecError('UNKNOWN_SCENARIO', `unknown scenario "${id}"`, { field });
    }
    return { scenario, code };
  }

  private entryOf(
    e: Pick<Event, 'item' | 'scenario' | 'type' | 'value' | 'text' | 'ts'>,
  ): HistoryEntry | undefined {
    const item = this.p.index.get(e.item);
    if (item === undefined) return undefined;
    const weights = this.p.scenarios.get(e.scenario)?.eventWeights ?? {};
    return { item, scenario: e.scenario, weight: eventWeight(e, weights), ts: e.ts };
  }

  /** the user's profile, from the cache or built from the store's recent events */
  async userProfile(user: string): Promise<UserProfile> {
    const cached = this.profiles.get(user);
    if (cached) {
      const waiting = this.pending.get(user);
      if (!waiting) return cached;
      // the same profile the eager update gave: history + new entries, sorted (stably) by time
      const updated = updateProfile(cached, waiting, itemSpaceOf(this.m), this.profileOpts);
      this.pending.delete(user);
      this.memo.forget(cached);
      this.profiles.set(user, updated);
      return updated;
    }
    const events = await this.p.store.events.ofUser(user, { limit: this.profileOpts.maxHistory * 2 });
    const history = events
      .filter((e) => !(e.split && HELD_OUT.includes(e.split)))
      .map((e) => this.entryOf(e))
      .filter((h): h is HistoryEntry => h !== undefined);
    const profile = buildProfile(user, history, itemSpaceOf(this.m), this.profileOpts);
    if (this.profiles.size >= PROFILE_CACHE) {
      const oldest = this.profiles.keys().next().value!;
      const evicted = this.profiles.get(oldest);
      if (evicted) this.memo.forget(evicted);
      this.profiles.delete(oldest);
      this.pending.delete(oldest);
    }
    this.profiles.set(user, profile);
    return profile;
  }

  /** scores an arbitrary profile (used by the evaluation and the explanation measurements) */
  query(profile: UserProfile, scenario: string, context?: Context, scratch?: QueryScratch): Query {
    const q = prepareQuery(this.m, profile, { scenario, context, now: Date.now() }, scratch);
    q.textMemo = this.memo.text(profile);
    // a feature weighted 0 moves no score and no explanation: not computed when serving
    q.weightedOnly = true;
    return q;
  }

  async recommend(input: RecommendRequest, opts: { validated?: boolean } = {}): Promise<RecommendResponse> {
    this.check();
    const req = opts.validated
      ? { ...input, n: input.n ?? DEFAULT_N }
      : validate(recommendRequestSchema, input);
    const { scenario, code } = this.scenarioOf(req.scenario);
    const profile = await this.userProfile(req.user);
    // from here on synchronous: the query may use the engine's scratch arrays, released below
    let q: Query | undefined;
    const query = () => {
      q ??= this.query(profile, req.scenario, req.context, this.scratch);
      return q;
    };
    try {
      return this.rankFor(req, query, profile, scenario, code);
    } finally {
      if (q) this.scratch.release(q);
    }
  }

  /**
   * Retrieval and context-free scores of the scenario's candidates for this profile: kept in the
   * memo (see memo.ts) unless the request brings its own exclusions.
   */
  private ranked(
    req: RecommendRequest & { n: number },
    query: () => Query,
    profile: UserProfile,
    code: number,
    skip: (i: number) => boolean,
  ): RankedEntry {
    const k = Math.max(this.p.config.engine.candidates, 4 * req.n);
    const ttl = this.p.config.engine.rankCacheSeconds * 1000;
    const cacheable = ttl > 0 && code >= 0 && (req.exclude?.length ?? 0) === 0;
    const key = `${req.scenario}:${k}`;
    const now = Date.now();
    const hit = cacheable ? this.memo.getRanked(profile, key, now, ttl) : undefined;
    if (hit) return hit;
    const q = query();
    const found =
      code < 0
        ? { items: [], source: new Map<number, string>(), used: [] }
        : retrieveChain(this.chain, { query: q, k, skip }, new Set(['catalog']));
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
    if (cacheable) this.memo.setRanked(profile, key, entry);
    return entry;
  }

  private rankFor(
    req: RecommendRequest & { n: number },
    query: () => Query,
    profile: UserProfile,
    scenario: Scenario | undefined,
    code: number,
  ): RecommendResponse {
    const rule = this.p.config.engine.rules[req.scenario];
    const allowRepeats = rule?.allowRepeats ?? scenario?.allowRepeats ?? false;
    // built on first use: a request answered from the ranked memo never asks
    let consumed: Set<number> | undefined;
    const excluded = new Set<number>();
    for (const id of [...(rule?.exclude ?? []), ...(req.exclude ?? [])]) {
      const i = this.p.index.get(id);
      if (i !== undefined) excluded.add(i);
    }
    const skip = (i: number) => {
      consumed ??= new Set(allowRepeats ? [] : profile.history.map((h) => h.item));
      return consumed.has(i) || excluded.has(i) || !this.available[i];
    };
    const r = this.ranked(req, query, profile, code, skip);
    // the request's own part: context, diversity, explanations
    // the weights the candidates were scored with, kept with them (no bucket lookup per request)
    const weights = r.weights;
    const ctxKeys = requestContextKeys(this.m, req.context, Date.now());
    const scores = withContext(this.m, weights, ctxKeys, r.items, r.base);
    const lambda = req.diversity ?? rule?.diversity ?? this.p.config.engine.diversity;
    // the similarities depend on the two items only: kept with the candidates for the next request
    const n = this.m.numItems;
    const similar = (a: number, b: number) => {
      // ordered: the co-occurrence fallback need not be symmetric
      const key = a * n + b;
      let s = r.similar.get(key);
      if (s === undefined) {
        s = this.similarity(a, b);
        r.similar.set(key, s);
      }
      return s;
    };
    const picked = mmr(r.items, scores, req.n, lambda, similar, this.simFloor);
    return {
      user: req.user,
      scenario: req.scenario,
      items: picked.map((it) => {
        let base = r.explained.get(it);
        if (!base) {
          base = explainBase(query(), it);
          r.explained.set(it, base);
        }
        const x = finishExplanation(this.m, weights, ctxKeys, base);
        // ten lookups in a hundred candidates: cheaper than a map built per request
        return this.recommendation(it, scores[r.items.indexOf(it)]!, r.source.get(it)!, x);
      }),
      retrievers: r.used,
      modelVersion: this.p.modelVersion,
    };
  }

  /**
   * A lower bound of `similarity` for MMR: -(largest squared row norm), since |a.b| <= |a||b|
   * (rows are unit vectors, so about -1), with room for rounding; co-occurrence similarity is >= 0.
   */
  private similarityFloor(): number {
    const m = this.m;
    let max = 1;
    for (let i = 0; i < m.numItems; i++) if (m.hasVector[i]) max = Math.max(max, rowNormSq(vectorOf(m, i)!));
    return floorOf(max);
  }

  private similarity(a: number, b: number): number {
    const m = this.m;
    if (m.hasVector[a] && m.hasVector[b]) {
      // the two rows read in place: MMR asks for hundreds of pairs per request
      return dotRows(m.vectors, a * m.dim, b * m.dim, m.dim);
    }
    return Math.min(1, edgeWeight(m.graphs.knn, a, b) * 5);
  }

  private recommendation(item: number, score: number, retriever: string, x: ItemExplanation): Recommendation {
    return {
      item: this.m.itemIds[item]!,
      title: this.m.titles[item] ?? '',
      scenario: this.m.scenarios[this.m.scenarioCode[item]!]!,
      score,
      reasons: this.reasons(x, retriever),
    };
  }

  private reasons(x: ItemExplanation, retriever: string): Explanation {
    return {
      retriever,
      ...(x.interest ? { interest: x.interest } : {}),
      history: x.history.map((h) => ({
        item: this.m.itemIds[h.item]!,
        title: this.m.titles[h.item] ?? '',
        scenario: h.scenario,
        contribution: h.share,
      })),
      context: x.context,
    };
  }

  async similarItems(itemId: string, n = 10, scenarioId?: string): Promise<Recommendation[]> {
    this.check();
    const item = this.p.index.get(itemId);
    if (item === undefined) throw new RecError('UNKNOWN_ITEM', `unknown item "${itemId}"`, { field: 'item' });
    const m = this.m;
    const code = scenarioId === undefined ? m.scenarioCode[item]! : this.scenarioOf(scenarioId).code;
    const score = new Map<number, { s: number; by: string }>();
    const { knn, trans } = m.graphs;
    for (const g of [knn, trans]) {
      let max = 0;
      for (let o = g.offsets[item]!; o < g.offsets[item + 1]!; o++) max = Math.max(max, g.weights[o]!);
      for (let o = g.offsets[item]!; o < g.offsets[item + 1]!; o++) {
        const j = g.items[o]!;
        const prev = score.get(j);
        score.set(j, { s: (prev?.s ?? 0) + (0.5 * g.weights[o]!) / (max || 1), by: 'collaborative' });
      }
    }
    const v = vectorOf(m, item);
    const index = this.indices.get(code);
    if (v && index) {
      for (const h of index.search(v, n * 4 + 1)) {
        const prev = score.get(h.key);
        score.set(h.key, { s: (prev?.s ?? 0) + h.score, by: prev?.by ?? 'semantic' });
      }
    }
    const ranked = [...score.entries()]
      .filter(([j]) => j !== item && m.scenarioCode[j] === code && this.available[j])
      .sort((a, b) => b[1].s - a[1].s || a[0] - b[0]);
    for (const j of this.p.popular.list(code)) {
      if (ranked.length >= n) break;
      if (j !== item && !score.has(j) && this.available[j]) ranked.push([j, { s: 0, by: 'popular' }]);
    }
    const source = m.titles[item] ?? '';
    return ranked.slice(0, n).map(([j, x]) => ({
      item: m.itemIds[j]!,
      title: m.titles[j] ?? '',
      scenario: m.scenarios[m.scenarioCode[j]!]!,
      score: x.s,
      reasons: {
        retriever: x.by,
        history: [
          { item: itemId, title: source, scenario: m.scenarios[m.scenarioCode[item]!]!, contribution: 1 },
        ],
        context: [],
      },
    }));
  }

  async profile(user: string): Promise<UserProfileView> {
    this.check();
    const p = await this.userProfile(user);
    const view = (list: UserProfile['interests']): Interest[] =>
      list.map((c) => ({
        id: c.id,
        label: c.label,
        summary: summaryOf(c, this.m),
        weight: c.weight,
        scenarioMix: c.scenarioMix,
        lastTs: c.lastTs,
        topItems: c.members.slice(0, 5).map((i) => this.m.itemIds[i]!),
        ...(c.vector.length >= 2 ? { xy: projectXY(c.vector) } : {}),
      }));
    return {
      user,
      events: p.history.length,
      fused: view(p.interests),
      perScenario: Object.fromEntries(Object.entries(p.perScenario).map(([s, l]) => [s, view(l)])),
      updatedAt: p.updatedAt,
    };
  }

  async explain(user: string, itemId: string, context?: Context): Promise<Explanation & { score: number }> {
    this.check();
    const item = this.p.index.get(itemId);
    if (item === undefined) throw new RecError('UNKNOWN_ITEM', `unknown item "${itemId}"`, { field: 'item' });
    const profile = await this.userProfile(user);
    const q = this.query(profile, this.m.scenarios[this.m.scenarioCode[item]!]!, context);
    const score = scoreCandidates(q, [item])[0]!;
    const source =
      q.knnSame[item]! + q.knnCross[item]! + q.trans[item]! > 0
        ? 'collaborative'
        : vectorOf(this.m, item)
          ? 'semantic'
          : 'popular';
    return { ...this.reasons(explainItem(q, item), source), score };
  }

  async addEvents(
    events: readonly Event[],
    opts: { validated?: boolean } = {},
  ): Promise<{ inserted: number; duplicates: number }> {
    this.check();
    const valid = opts.validated
      ? events
      : events.map((e, i) => validate(eventSchema, e, { prefix: `events[${i}]` }));
    if (valid.length === 0) return { inserted: 0, duplicates: 0 };
    // Group commit: batches that arrive in the same turn of the event loop (concurrent requests
    // whose bodies were read while the previous commit held the thread) are written in one
    // transaction: one commit of 4,000 events went 1.7x faster per event than four of 1,000 in
    // a micro-benchmark (docs/api.md, session 4). Each caller is answered with its own counts
    // once the whole group is durable and applied.
    return new Promise((resolve, reject) => {
      let g = this.eventGroup;
      if (!g || g.events.length >= GROUP_COMMIT_MAX) {
        const fresh: EventGroup = { events: [], waiters: [] };
        g = this.eventGroup = fresh;
        const done: Promise<void> = new Promise<void>((r) => setImmediate(r))
          .then(() => this.flushEvents(fresh))
          .finally(() => this.flushing.delete(done));
        this.flushing.add(done);
      }
      g.waiters.push({ from: g.events.length, to: g.events.length + valid.length, resolve, reject });
      for (const e of valid) g.events.push(e);
    });
  }

  /** one transaction for a group of addEvents calls (see addEvents) */
  private async flushEvents(g: EventGroup): Promise<void> {
    if (this.eventGroup === g) this.eventGroup = undefined;
    try {
      if (this.closed) throw new RecError('INTERNAL', 'engine is closed');
      // the insert itself says which events are new (one transaction, no query per event)
      const isNew = new Uint8Array(g.events.length);
      const fresh: Event[] = [];
      await this.p.store.events.add(g.events, {
        onInserted: (i) => {
          isNew[i] = 1;
          fresh.push(g.events[i]!);
        },
      });
      // durable first; then the in-memory state so the very next request reflects the events
      this.applyEvents(fresh);
      if (this.peers && fresh.length > 0) await this.peers({ kind: 'events', events: fresh });
      for (const w of g.waiters) {
        let inserted = 0;
        for (let i = w.from; i < w.to; i++) inserted += isNew[i]!;
        w.resolve({ inserted, duplicates: w.to - w.from - inserted });
      }
    } catch (e) {
      for (const w of g.waiters) w.reject(e);
    }
  }

  /** the in-memory part of taking new (already stored) events */
  private applyEvents(fresh: readonly Event[]): void {
    const byUser = new Map<string, HistoryEntry[]>();
    for (const e of fresh) {
      const h = this.entryOf(e);
      if (!h) continue;
      if (h.weight > 0) {
        this.m.graphs.counts[h.item]! += 1;
        this.p.popular.bump(h.item);
        this.p.trending.bump(h.item);
        if (this.m.useContext && e.context && (e.context.device || e.context.location)) {
          recordContext(this.m.context, contextKeys(e.context, e.ts), h.item);
        }
      }
      if (e.split && HELD_OUT.includes(e.split)) continue;
      const list = byUser.get(e.user) ?? [];
      list.push(h);
      byUser.set(e.user, list);
    }
    // cached profiles take the entries now and re-cluster on their next read: a batch touching a
    // thousand users costs no clustering, and several batches before a read cost one
    for (const [user, entries] of byUser) {
      if (!this.profiles.has(user)) continue;
      const waiting = this.pending.get(user);
      if (waiting) waiting.push(...entries);
      else this.pending.set(user, entries);
    }
  }

  /**
   * A change another process made to the shared store (several server processes over one
   * database): applied to this engine's memory without writing again.
   */
  async applyPeerChange(c: PeerChange): Promise<void> {
    this.check();
    if (c.kind === 'events') this.applyEvents(c.events);
    else if (c.kind === 'deleteItem') this.dropItem(c.id);
    else if (c.kind === 'deleteUser') this.forgetUser(c.user);
    else {
      const items = await this.p.store.items.getMany(c.ids);
      this.applyItems(items, await this.storedVectors(items));
    }
  }

  async upsertItems(input: readonly Item[]): Promise<void> {
    this.check();
    const items = input.map((it, i) => validate(itemSchema, it, { prefix: `items[${i}]` }));
    await this.p.store.items.upsert(items);
    if (this.p.encoder && this.m.dim > 0) {
      await encodeItems(this.p.store, this.p.encoder, items, fusionOptionsOf(this.p.config.encoder));
    }
    this.applyItems(items, await this.storedVectors(items));
    await this.peers?.({ kind: 'items', ids: items.map((it) => it.id) });
  }

  private async storedVectors(items: readonly Item[]): Promise<Map<string, Float32Array>> {
    if (!this.p.encoder || this.m.dim === 0) return new Map();
    const got = await loadItemVectors(this.p.store, this.p.encoder.id, { ids: items.map((i) => i.id) });
    return new Map(got.ids.map((id, r) => [id, got.vectors.slice(r * got.dim, (r + 1) * got.dim)]));
  }

  /** the in-memory part of an item upsert (items and vectors already stored) */
  private applyItems(items: readonly Item[], vectors: Map<string, Float32Array>): void {
    const added = items.filter((it) => !this.p.index.has(it.id));
    const newIdx = appendItems(
      this.m,
      added.map((it) => ({ id: it.id, title: it.title, scenario: it.scenario, vector: vectors.get(it.id) })),
    );
    const avail = new Uint8Array(this.m.numItems);
    avail.set(this.available);
    this.available = avail;
    added.forEach((it, k) => {
      this.p.index.set(it.id, newIdx[k]!);
    });
    for (const it of items) {
      const i = this.p.index.get(it.id)!;
      this.m.titles[i] = it.title;
      this.available[i] = it.available === false ? 0 : 1;
      const v = vectors.get(it.id);
      if (v && v.length === this.m.dim) {
        this.m.vectors.set(v, i * this.m.dim);
        this.m.hasVector[i] = 1;
        // the MMR floor follows the new row (a lower floor stays a valid bound): no catalog pass
        this.simFloor = Math.min(this.simFloor, floorOf(rowNormSq(v)));
      }
      const code = this.m.scenarioCode[i]!;
      if (!this.indices.has(code)) this.buildIndex(code);
      else if (this.m.hasVector[i]) {
        const index = this.indices.get(code)!;
        if (this.available[i]) index.add([i], vectorOf(this.m, i)!.slice());
        else index.remove([i]);
      }
    }
    this.p.popular.invalidate();
    this.p.trending.invalidate();
    // vectors, availability or the indices changed: memoised text features and searches are stale
    this.memo.clear();
  }

  async deleteItem(id: string): Promise<boolean> {
    this.check();
    const existed = await this.p.store.items.delete(id);
    this.dropItem(id);
    await this.peers?.({ kind: 'deleteItem', id });
    return existed;
  }

  private dropItem(id: string): void {
    const i = this.p.index.get(id);
    if (i === undefined) return;
    this.available[i] = 0;
    this.indices.get(this.m.scenarioCode[i]!)?.remove([i]);
    // a fresh search now returns another item in its place
    this.memo.clear();
  }

  async deleteUser(user: string): Promise<number> {
    this.check();
    this.forgetUser(user);
    const n = await this.p.store.deleteUser(user);
    await this.peers?.({ kind: 'deleteUser', user });
    return n;
  }

  private forgetUser(user: string): void {
    const cached = this.profiles.get(user);
    if (cached) this.memo.forget(cached);
    this.profiles.delete(user);
    this.pending.delete(user);
  }

  async scenarios(): Promise<Scenario[]> {
    this.check();
    const stored = await this.p.store.scenarios.list();
    const byId = new Map(stored.map((s) => [s.id, s]));
    for (const s of this.p.config.scenarios) if (!byId.has(s.id)) byId.set(s.id, s);
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // events already accepted into a group are written before the store closes
    while (this.flushing.size > 0) await Promise.all(this.flushing);
    this.closed = true;
    this.profiles.clear();
    this.pending.clear();
    this.memo.clear();
    this.indices.clear();
    if (this.p.ownsStore) await this.p.store.close();
    if (this.p.ownsEncoder) await this.p.encoder?.close();
  }
}

/** addEvents calls committed together (see addEvents) */
interface EventGroup {
  events: Event[];
  waiters: {
    from: number;
    to: number;
    resolve: (r: { inserted: number; duplicates: number }) => void;
    reject: (e: unknown) => void;
  }[];
}

/** a group takes no more batches past this many events (one transaction holds the thread) */
const GROUP_COMMIT_MAX = 10_000;

function rowNormSq(v: Float32Array): number {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += v[d]! * v[d]!;
  return s;
}

/** the MMR similarity floor for rows of squared norm up to `maxNormSq`, with room for rounding */
function floorOf(maxNormSq: number): number {
  return -Math.max(1, maxNormSq) * (1 + 1e-6);
}

function summaryOf(c: UserProfile['interests'][number], m: ScoringModel): string {
  const mix = Object.entries(c.scenarioMix)
    .sort((a, b) => b[1] - a[1])
    .map(([s, w]) => `${s} ${Math.round(w * 100)}%`)
    .join(', ');
  const examples = c.members
    .slice(0, 2)
    .map((i) => m.titles[i])
    .filter(Boolean)
    .join('; ');
  return `${c.label} (${c.members.length} items; ${mix})${examples ? `, e.g. ${examples}` : ''}`;
}

/** a fixed 2-D projection of interest vectors, stable across users so maps are comparable */
function projectXY(v: Float32Array): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = 0; i < v.length; i++) {
    // deterministic pseudo-random +-1 directions
    const h = Math.imul(i + 1, 2654435761) >>> 0;
    x += (h & 1 ? 1 : -1) * v[i]!;
    y += (h & 2 ? 1 : -1) * v[i]!;
  }
  const s = 1 / Math.sqrt(v.length);
  return [x * s, y * s];
}
