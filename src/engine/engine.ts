/**
 * The engine behind the library API: profile -> retrieve -> rank -> re-rank -> explain, on an
 * in-memory scoring model built from the store, updated in place as events and items arrive. This
 * class holds the parts and the order of the steps; each step lives in its own module.
 */
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import type { Context, EventInput, Item, Scenario } from '../core/types.ts';
import { itemSchema } from '../core/types.ts';
import { validate } from '../core/validate.ts';
import { encodeItems, fusionOptionsOf } from '../encode/catalog.ts';
import type { Encoder } from '../encode/types.ts';
import type { VectorIndexFactory } from '../index/create.ts';
import type { VectorIndex } from '../index/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { UserProfile } from '../profile/types.ts';
import { explainItem } from '../rank/explain.ts';
import { prepareQuery, type Query, QueryScratch, scoreCandidates } from '../rank/query.ts';
import type { RetrieverFactory } from '../retrieve/registry.ts';
import type { Store } from '../store/types.ts';
import { EventChecks } from './check-events.ts';
import type { RankedCounts } from './lists.ts';
import { LiveItems } from './live-items.ts';
import { ProfileMemo } from './memo.ts';
import { Profiles } from './profiles.ts';
import { Ranking, reasonsOf, retrieverOf } from './recommend.ts';
import { DEFAULT_N, parseEvents, parseRecommendRequest, type ValidRecommendRequest } from './requests.ts';
import { type ScoreAllRequest, type ScoredItems, scoreAll } from './score-all.ts';
import { similarItems } from './similar.ts';
import type {
  Engine,
  Explanation,
  PeerChange,
  Recommendation,
  RecommendRequest,
  RecommendResponse,
  UserProfileView,
} from './types.ts';
import { profileView } from './views.ts';
import { applyEvents, type EventCounts, GroupCommit } from './write-events.ts';
import { applyItems, dropItem, storedVectors } from './write-items.ts';

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
  /** vector indices read back from the boot snapshot, by scenario code (else built here) */
  vectorIndices?: ReadonlyMap<number, VectorIndex> | undefined;
}

/** profiles whose request-time work is memoised (each holds up to a few hundred items' features) */
const PROFILE_MEMO = 4096;

export class FusionEngine implements Engine {
  private readonly m: ScoringModel;
  /** per-profile text features, semantic search answers and ranked candidates (see memo.ts) */
  private readonly memo = new ProfileMemo(PROFILE_MEMO);
  private readonly scratch = new QueryScratch();
  private readonly live: LiveItems;
  private readonly profiles: Profiles;
  private readonly ranking: Ranking;
  private readonly commits: GroupCommit;
  private readonly checks: EventChecks;
  private closed = false;
  /**
   * Set by a multi-process server (src/serve/cluster.ts): told of every write after it is stored
   * and applied here, and awaited, so the other processes have it before the write is answered.
   */
  peers: ((change: PeerChange) => Promise<void>) | undefined;

  constructor(private readonly p: EngineParts) {
    const m = p.model;
    this.m = m;
    const e = p.config.engine;
    this.live = new LiveItems(m, p.available, p.vectorIndex, p.vectorIndices);
    this.profiles = new Profiles({
      store: p.store,
      model: m,
      index: p.index,
      scenarios: p.scenarios,
      options: {
        maxInterests: e.maxInterests,
        recencyDecay: e.profileDecay,
        negativePush: e.negativePush,
        maxHistory: e.maxHistory,
      },
      memo: this.memo,
      fusion: p.config.train.fusion,
    });
    const all = p.retrievers({
      index: (code) => this.live.index(code),
      searchCache: this.memo,
      trending: (code) => p.trending.list(code),
      popular: (code) => p.popular.list(code),
      catalog: (code) => m.scenarioItems[code] ?? [],
    });
    this.ranking = new Ranking({
      model: m,
      config: e,
      index: p.index,
      live: this.live,
      memo: this.memo,
      chain: e.retrievers.map((name) => all[name]!),
      modelVersion: p.modelVersion,
    });
    this.commits = new GroupCommit(
      p.store,
      async (fresh) => {
        // durable first; then the in-memory state so the very next request reflects the events
        applyEvents(this.eventTargets(), fresh);
        if (this.peers && fresh.length > 0) await this.peers({ kind: 'events', events: fresh });
      },
      () => this.closed,
    );
    this.checks = new EventChecks(p.store, () => this.scenarios());
  }

  private eventTargets() {
    return { model: this.m, profiles: this.profiles, popular: this.p.popular, trending: this.p.trending };
  }

  private itemTargets() {
    const { index, popular, trending } = this.p;
    return { model: this.m, index, live: this.live, popular, trending, memo: this.memo };
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

  private itemOf(id: string): number {
    const item = this.p.index.get(id);
    if (item === undefined) throw new RecError('UNKNOWN_ITEM', `unknown item "${id}"`, { field: 'item' });
    return item;
  }

  /** the per-scenario vector indices as built at boot (saved in the boot snapshot) */
  get vectorIndices(): ReadonlyMap<number, VectorIndex> {
    return this.live.allIndices;
  }

  /** the user's profile, from the cache or built from the store's recent events */
  userProfile(user: string): Promise<UserProfile> {
    return this.profiles.get(user);
  }

  /** scores an arbitrary profile (used by the evaluation and the explanation measurements) */
  query(profile: UserProfile, scenario: string, context?: Context, scratch?: QueryScratch): Query {
    const q = prepareQuery(this.m, profile, { scenario, context, now: Date.now() }, scratch);
    q.textMemo = this.memo.text(profile);
    // a feature weighted 0 moves no score and no explanation: not computed when serving
    q.weightedOnly = true;
    return q;
  }

  /** scores of a scenario's items for an explicit history (the evaluation): see score-all.ts */
  scoreAll(req: ScoreAllRequest): ScoredItems {
    this.check();
    return scoreAll(
      {
        model: this.m,
        index: this.p.index,
        entryOf: (e) => this.profiles.entryOf(e),
        profileOptions: this.profiles.options,
        fusion: this.p.config.train.fusion,
        query: (profile, scenario, context) => this.query(profile, scenario, context),
        release: (profile) => this.memo.forget(profile),
      },
      req,
    );
  }

  async recommend(input: RecommendRequest): Promise<RecommendResponse> {
    this.check();
    const req = parseRecommendRequest(input);
    const { scenario, code } = this.scenarioOf(req.scenario);
    const profile = await this.profiles.forScenario(req.user, req.scenario);
    // from here on synchronous: the query may use the engine's scratch arrays, released below
    let q: Query | undefined;
    const query = () => {
      q ??= this.query(profile, req.scenario, req.context, this.scratch);
      return q;
    };
    try {
      return this.ranking.answer(req, query, profile, scenario, code);
    } finally {
      if (q) this.scratch.release(q);
    }
  }

  async similarItems(itemId: string, n = 10, scenarioId?: string): Promise<Recommendation[]> {
    this.check();
    const item = this.itemOf(itemId);
    const code = scenarioId === undefined ? this.m.scenarioCode[item]! : this.scenarioOf(scenarioId).code;
    const sources = { model: this.m, live: this.live, popular: (c: number) => this.p.popular.list(c) };
    return similarItems(sources, item, n, code);
  }

  async profile(user: string): Promise<UserProfileView> {
    this.check();
    return profileView(this.m, user, await this.profiles.get(user));
  }

  /**
   * The reasons `recommend` would give for the item in its own scenario, and its score. The
   * retriever is the one recommend credits for the same profile and context (the candidates of a
   * default-sized request, without exclusions), or `none` where the chain would not propose it.
   */
  async explain(user: string, itemId: string, context?: Context): Promise<Explanation & { score: number }> {
    this.check();
    const item = this.itemOf(itemId);
    const id = this.m.scenarios[this.m.scenarioCode[item]!]!;
    const profile = await this.profiles.forScenario(user, id);
    const q = this.query(profile, id, context);
    const score = scoreCandidates(q, [item])[0]!;
    const req: ValidRecommendRequest = { user, scenario: id, n: DEFAULT_N, ...(context ? { context } : {}) };
    const { scenario, code } = this.scenarioOf(id);
    const candidates = this.ranking.candidates(req, () => q, profile, scenario, code);
    return { ...reasonsOf(this.m, explainItem(q, item), retrieverOf(candidates, item)), score };
  }

  /** durable, then applied: the next recommendation reflects them */
  async addEvents(events: readonly EventInput[]): Promise<EventCounts> {
    this.check();
    const valid = parseEvents(events);
    await this.checks.check(valid, (i) => `events[${i}].`);
    return this.commits.add(valid);
  }

  /** one event: as `addEvents`, a bad one's error naming its own field */
  async addEvent(event: EventInput): Promise<EventCounts> {
    this.check();
    const valid = parseEvents([event], '');
    await this.checks.check(valid, () => '');
    return this.commits.add(valid);
  }

  /**
   * A change another process made to the shared store (several server processes over one
   * database): applied to this engine's memory without writing again.
   */
  async applyPeerChange(c: PeerChange): Promise<void> {
    this.check();
    if (c.kind === 'events') applyEvents(this.eventTargets(), c.events);
    else if (c.kind === 'deleteItem') dropItem(this.itemTargets(), c.id);
    else if (c.kind === 'deleteUser') this.profiles.forget(c.user);
    else {
      const items = await this.p.store.items.getMany(c.ids);
      applyItems(this.itemTargets(), items, await storedVectors(this.p.store, this.p.encoder, this.m, items));
    }
  }

  async upsertItems(input: readonly Item[]): Promise<void> {
    this.check();
    const items = input.map((it, i) => validate(itemSchema, it, { prefix: `items[${i}]` }));
    await this.p.store.items.upsert(items);
    if (this.p.encoder && this.m.dim > 0) {
      await encodeItems(this.p.store, this.p.encoder, items, fusionOptionsOf(this.p.config.encoder));
    }
    applyItems(this.itemTargets(), items, await storedVectors(this.p.store, this.p.encoder, this.m, items));
    await this.peers?.({ kind: 'items', ids: items.map((it) => it.id) });
  }

  async deleteItem(id: string): Promise<boolean> {
    this.check();
    const existed = await this.p.store.items.delete(id);
    dropItem(this.itemTargets(), id);
    await this.peers?.({ kind: 'deleteItem', id });
    return existed;
  }

  async deleteUser(user: string): Promise<number> {
    this.check();
    this.profiles.forget(user);
    const n = await this.p.store.deleteUser(user);
    await this.peers?.({ kind: 'deleteUser', user });
    return n;
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
    await this.commits.drain();
    this.closed = true;
    this.profiles.clear();
    this.memo.clear();
    this.live.clear();
    if (this.p.ownsStore) await this.p.store.close();
    if (this.p.ownsEncoder) await this.p.encoder?.close();
  }
}
