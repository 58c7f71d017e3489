/**
 * The engine behind the library API: profile -> retrieve -> rank -> re-rank -> explain, on an
 * in-memory scoring model built from the store, updated in place as events and items arrive. This
 * class holds the parts and the order of the steps; each step lives in its own module.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { BusChange, EventBus, EventCounts } from '../bus/types.ts';
import type { SharedCache } from '../cache/types.ts';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import type { Context, Event, EventInput, Item, Scenario } from '../core/types.ts';
import { itemSchema, MAX_ID_LENGTH } from '../core/types.ts';
import { validate } from '../core/validate.ts';
import { encodeItems, fusionOptionsOf } from '../encode/catalog.ts';
import type { Encoder } from '../encode/types.ts';
import type { Generator } from '../generate/types.ts';
import type { VectorIndexFactory } from '../index/create.ts';
import type { VectorIndex } from '../index/types.ts';
import { hourBandOf } from '../model/context.ts';
import { itemSpaceOf, type ScoringModel } from '../model/scoring.ts';
import { buildProfile } from '../profile/interests.ts';
import type { UserProfile } from '../profile/types.ts';
import { explainItem } from '../rank/explain.ts';
import { ItemFacts } from '../rank/filter/facts.ts';
import { prepareQuery, type Query, QueryScratch, scoreCandidates } from '../rank/query.ts';
import type { RetrieverFactory } from '../retrieve/registry.ts';
import type { Retriever } from '../retrieve/types.ts';
import type { Store } from '../store/types.ts';
import { EventChecks } from './check-events.ts';
import type { ContextLists, ListAnswer } from './context-lists.ts';
import { Controls } from './controls.ts';
import { eraseUser } from './erase-user.ts';
import type { Variant } from './experiments.ts';
import { Feedback } from './feedback.ts';
import { applyMemoryErasure, type MemoryErasure, memoryErasure } from './forget.ts';
import type { RankedCounts } from './lists.ts';
import { LiveItems } from './live-items.ts';
import { ProfileMemo } from './memo.ts';
import { NamedFilters } from './named-filters.ts';
import { Profiles } from './profiles.ts';
import { Ranking, reasonsOf, retrieverOf } from './recommend.ts';
import {
  DEFAULT_N,
  parseEvents,
  parseListRequest,
  parseRecommendRequest,
  parseSessionEvents,
  type ValidRecommendRequest,
} from './requests.ts';
import { type ScoreAllRequest, type ScoredItems, scenarioAlone, scoreAll } from './score-all.ts';
import { ExplanationSentences } from './sentences.ts';
import { Sessions } from './sessions.ts';
import { SharedSessions } from './shared-sessions.ts';
import { similarItems } from './similar.ts';
import { InterestSummaries } from './summaries.ts';
import type {
  Engine,
  ExperimentAdmin,
  Explanation,
  FilterAdmin,
  ListRequest,
  PeerChange,
  Recommendation,
  RecommendRequest,
  RecommendResponse,
  SessionEventsRequest,
  UserProfileView,
} from './types.ts';
import { profileView } from './views.ts';
import { applyEvents } from './write-events.ts';
import { applyItems, dropItem, storedVectors } from './write-items.ts';

export interface EngineParts {
  config: Config;
  store: Store;
  ownsStore: boolean;
  encoder: Encoder | undefined;
  ownsEncoder: boolean;
  /** the generative model behind summaries and explanation sentences; none: templates */
  generator?: Generator | undefined;
  ownsGenerator?: boolean;
  /** picked by the composition root (engine/create.ts), like every implementation */
  vectorIndex: VectorIndexFactory;
  retrievers: RetrieverFactory;
  model: ScoringModel;
  index: Map<string, number>;
  available: Uint8Array;
  /** item attributes for filters and scenario rules (absent: none known, e.g. a test's parts) */
  facts?: ItemFacts;
  scenarios: Map<string, Scenario>;
  popular: RankedCounts;
  trending: RankedCounts;
  /** trending, popular and new lists per context */
  lists: ContextLists;
  /** the clock sessions expire by (tests inject one) */
  clock?: (() => number) | undefined;
  /** events with a larger sequence number arrived after the model's graphs were built */
  graphSeq: number;
  /** the start of the trending window when the engine was built */
  trendingSince: number;
  modelVersion: string;
  /** makes events durable and delivers every node's writes (src/bus/) */
  bus: EventBus;
  ownsBus: boolean;
  /** the response cache shared by the nodes (src/cache/) */
  cache: SharedCache;
  ownsCache: boolean;
  /** vector indices read back from the boot snapshot, by scenario code (else built here) */
  vectorIndices?: ReadonlyMap<number, VectorIndex> | undefined;
}

/** profiles whose request-time work is memoised (each holds up to a few hundred items' features) */
const PROFILE_MEMO = 4096;
/** users whose last event's bus position is remembered, to refuse cached answers older than it */
const POSITIONS = 100_000;

export class FusionEngine implements Engine {
  private readonly m: ScoringModel;
  /** per-profile text features, semantic search answers and ranked candidates (see memo.ts) */
  private readonly memo = new ProfileMemo(PROFILE_MEMO);
  private readonly scratch = new QueryScratch();
  private readonly live: LiveItems;
  private readonly profiles: Profiles;
  private readonly ranking: Ranking;
  private readonly checks: EventChecks;
  private readonly sentences: ExplanationSentences;
  private readonly summaries: InterestSummaries | undefined;
  private readonly facts: ItemFacts;
  private readonly controls: Controls;
  private readonly sessions: Sessions;
  private readonly sharedSessions: SharedSessions;
  /** the profile of no history: an anonymous request whose session is unknown or expired */
  private cold: UserProfile | undefined;
  /** recommendation ids, impressions, attribution and experiments (feedback.ts) */
  readonly feedback: Feedback;
  /** every retriever by name, for variants with their own chain */
  private readonly retrieverByName: Readonly<Record<string, Retriever>>;
  private readonly variantRankings = new Map<string, Ranking>();
  readonly experiments: ExperimentAdmin = {
    create: async (input) => {
      this.check();
      return this.feedback.experiments.create(input, (e) => void this.scenarioOf(e.scenario));
    },
    list: () => this.feedback.experiments.list(),
    stop: (id) => this.feedback.experiments.stop(id),
    status: (id) => this.feedback.status(id),
  };
  private closed = false;
  /** the bus position of the last events applied here, and of each recent user's last event */
  /** the bus position of the last change to the catalog (items upserted or deleted) */
  private catalogPosition = 0;
  private readonly userPositions = new LRUCache<string, number>({ max: POSITIONS });
  /**
   * Set by a multi-process server (src/serve/cluster.ts): told of every write after it is stored
   * and applied here, and awaited, so the other processes have it before the write is answered.
   */
  peers: ((change: PeerChange) => Promise<void>) | undefined;
  /** told after a change another node made was applied here (the server drops its catalog caches) */
  remoteChanged: ((change: PeerChange) => void) | undefined;

  constructor(private readonly p: EngineParts) {
    const m = p.model;
    this.m = m;
    const e = p.config.engine;
    this.live = new LiveItems(m, p.available, p.vectorIndex, p.vectorIndices);
    this.facts = p.facts ?? new ItemFacts();
    this.facts.available = (i) => this.live.available[i] === 1;
    this.controls = new Controls({
      facts: this.facts,
      named: new NamedFilters(p.store),
      store: p.store,
      index: p.index,
    });
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
      clustered: p.bus.kind === 'nats',
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
      facts: this.facts,
    });
    this.retrieverByName = all;
    this.feedback = new Feedback(p.store, p.config.feedback, {
      pool: (id) => {
        const code = m.scenarios.indexOf(id);
        const out: string[] = [];
        for (const i of m.scenarioItems[code] ?? []) if (this.live.available[i]) out.push(m.itemIds[i]!);
        return out;
      },
      describe: (id) => {
        const i = p.index.get(id);
        return i === undefined
          ? undefined
          : { item: id, title: m.titles[i] ?? '', scenario: m.scenarios[m.scenarioCode[i]!]! };
      },
    });
    this.checks = new EventChecks(p.store, () => this.scenarios());
    const g = p.config.generator;
    const scenarioName = (id: string) => p.scenarios.get(id)?.name ?? id;
    this.sentences = new ExplanationSentences({
      model: m,
      scenarioName,
      generator: g.explain ? p.generator : undefined,
      timeoutMs: g.explainTimeoutMs,
      top: g.explainTop,
    });
    this.summaries =
      p.generator && g.summaries
        ? new InterestSummaries({ store: p.store, generator: p.generator, itemIds: m.itemIds })
        : undefined;
    this.sessions = new Sessions(e.sessions, p.clock ?? Date.now, (profile) => this.memo.forget(profile));
    this.sharedSessions = new SharedSessions({
      cache: p.cache,
      sessions: this.sessions,
      options: e.sessions,
      entryOf: (ev) => this.profiles.entryOf(ev),
    });
  }

  /** what the bus delivers: durable events (every node's) and other nodes' changes */
  busHandlers() {
    return {
      events: async (fresh: Event[], position: number) => {
        // a bus shared with the runtime may deliver between the engine's close and its own
        if (this.closed) return;
        this.applyEventsAt(fresh, position);
        // processes of one machine sharing a store relay their writes (src/serve/cluster.ts)
        if (this.peers && this.p.bus.kind === 'local') await this.peers({ kind: 'events', events: fresh });
      },
      change: async (change: BusChange, position: number) => {
        if (this.closed) return;
        // an erasure travels as the JSON its sender's forget.ts made
        const c = change as PeerChange;
        await this.applyPeerChange(c);
        this.catalogChangedAt(position);
        this.remoteChanged?.(c);
      },
    };
  }

  /** applies durable events; their users' cached answers are dropped and older ones refused */
  private applyEventsAt(fresh: readonly Event[], position: number): void {
    this.profiles.remember(fresh);
    applyEvents(this.eventTargets(), fresh);
    if (this.p.cache.kind === 'none') return;
    const users = new Set<string>();
    for (const e of fresh) users.add(e.user);
    for (const u of users) this.userPositions.set(u, position);
    this.p.cache.forgetUsers([...users]);
  }

  /** cached answers older than a catalog change are refused (they may hold a deleted item) */
  private catalogChangedAt(position: number): void {
    this.catalogPosition = Math.max(this.catalogPosition, position);
  }

  private eventTargets() {
    const { popular, trending, lists } = this.p;
    return { model: this.m, profiles: this.profiles, popular, trending, lists };
  }

  private itemTargets() {
    const { index, popular, trending, lists } = this.p;
    return {
      model: this.m,
      index,
      live: this.live,
      popular,
      trending,
      lists,
      memo: this.memo,
      facts: this.facts,
    };
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
    return this.feedback.recommend(req, (r, variant) =>
      variant
        ? this.answer(withVariant(r, variant), this.rankingOf(variant), variant.fusion)
        : this.cachedAnswer(r),
    );
  }

  /** the ranking of a variant with its own retriever chain (its candidates are not memoised) */
  private rankingOf(v: Variant): Ranking {
    if (!v.retrievers) return this.ranking;
    const key = v.retrievers.join(',');
    let r = this.variantRankings.get(key);
    if (!r) {
      const e = this.p.config.engine;
      r = new Ranking({
        model: this.m,
        config: { ...e, rankCacheSeconds: 0 },
        index: this.p.index,
        live: this.live,
        memo: this.memo,
        chain: v.retrievers.map((name) => this.retrieverByName[name]!),
        modelVersion: this.p.modelVersion,
        facts: this.facts,
      });
      this.variantRankings.set(key, r);
    }
    return r;
  }

  private async cachedAnswer(req: ValidRecommendRequest): Promise<RecommendResponse> {
    const cache = this.p.cache;
    // a session lives in this process's memory: its answers are not shared
    if (!cache.reachable() || req.user === undefined || req.context?.session !== undefined) {
      return this.answer(req);
    }
    const user = req.user;
    // stamped with the model version, like every cached result (Gorse)
    const key = createHash('sha1')
      .update(JSON.stringify([this.p.modelVersion, req]))
      .digest('base64url');
    const hit = await cache.getAnswer(user, key);
    // an answer computed before this node applied the user's last events is not theirs any more
    const since = Math.max(this.catalogPosition, this.userPositions.get(user) ?? 0);
    if (hit && hit.position >= since) return { user, ...JSON.parse(hit.value) } as RecommendResponse;
    const position = this.p.bus.position();
    const res = await this.answer(req);
    // without the user id: the shared cache holds no id (the key is a hash of it)
    cache.setAnswer(user, key, { position, value: JSON.stringify({ ...res, user: undefined }) });
    return res;
  }

  private async answer(
    req: ValidRecommendRequest,
    ranking = this.ranking,
    fusion?: boolean,
  ): Promise<RecommendResponse> {
    const { scenario, code } = this.scenarioOf(req.scenario);
    // filters, boosts and promotion: checked (a bad one is a 400 naming its position) before any work
    const controls = await this.controls.resolve(req, Date.now());
    const { profile, session } = await this.profileFor(req, fusion);
    // from here on synchronous: the query may use the engine's scratch arrays, released below
    let q: Query | undefined;
    const query = () => {
      q ??= this.query(profile, req.scenario, req.context, this.scratch);
      return q;
    };
    try {
      const res = ranking.answer(req, query, profile, scenario, code, controls);
      this.sentences.fill(res.items);
      if (session !== undefined) res.session = session;
      return res;
    } finally {
      if (q) this.scratch.release(q);
    }
  }

  /**
   * The profile a request is served from: the user's; an anonymous session's items when the
   * request names a live session and has no user, or a user without history; else no history.
   */
  private async profileFor(
    req: ValidRecommendRequest,
    fusion?: boolean,
  ): Promise<{ profile: UserProfile; session?: string }> {
    const id = req.context?.session;
    let own: UserProfile | undefined;
    if (req.user !== undefined) {
      own = await this.profiles.forScenario(req.user, req.scenario, fusion);
      if (own.history.length > 0 || id === undefined) return { profile: own };
    }
    const space = itemSpaceOf(this.m);
    const options = this.profiles.options;
    if (id !== undefined) await this.sharedSessions.refresh(id);
    const kept =
      id === undefined
        ? undefined
        : this.sessions.profile(id, (h) => buildProfile(id, [...h], space, options));
    if (kept) {
      const profile = this.p.config.train.fusion ? kept : scenarioAlone(kept, req.scenario, space, options);
      if (profile.history.length > 0) return { profile, session: id! };
    }
    if (own) return { profile: own };
    this.cold ??= buildProfile('', [], space, options);
    return { profile: this.cold };
  }

  /** trending, popular or new items of a scenario, in a context (see context-lists.ts) */
  async list(input: ListRequest): Promise<ListAnswer> {
    this.check();
    const req = parseListRequest(input);
    const { code } = this.scenarioOf(req.scenario);
    const c = req.context;
    const band = c?.band ?? (c?.hour !== undefined ? hourBandOf(c.hour) : undefined);
    const m = this.m;
    const sources = {
      itemIds: m.itemIds,
      titles: m.titles,
      scenarios: m.scenarios,
      scenarioCode: m.scenarioCode,
      scenarioItems: m.scenarioItems,
      available: this.live.available,
    };
    return this.p.lists.list(req.list, code, req.scenario, req.n, { device: c?.device, band }, sources);
  }

  /**
   * Items an anonymous session viewed, kept in memory for `engine.sessions.ttlMinutes`; with a
   * user they are also stored as that user's events (the session names them, so a retry is a
   * duplicate, not a second event).
   */
  async addSessionEvents(
    input: SessionEventsRequest,
  ): Promise<{ session: string; items: number; expiresAt: number }> {
    this.check();
    const req = parseSessionEvents(input);
    const now = (this.p.clock ?? Date.now)();
    const events = req.events.map((e, i) => {
      const item = this.p.index.get(e.item);
      if (item === undefined || !this.live.available[item]) {
        throw new RecError('UNKNOWN_ITEM', `unknown item "${e.item}"`, { field: `events[${i}].item` });
      }
      const scenario = this.m.scenarios[this.m.scenarioCode[item]!]!;
      return { item: e.item, scenario, type: e.type, ts: e.ts ?? now };
    });
    if (req.user !== undefined) {
      const user = req.user;
      await this.addEvents(
        events.map((e) => ({
          id: sessionEventId(req.session, e),
          user,
          ...e,
          context: { session: req.session },
        })),
      );
    }
    const entries = events
      .map((e) => this.profiles.entryOf(e))
      .filter((h): h is NonNullable<typeof h> => h !== undefined);
    const kept = this.sessions.add(req.session, entries);
    await this.sharedSessions.append(req.session, events);
    // the other server processes of this machine serve the session too (never the bus: it persists)
    await this.peers?.({ kind: 'session', session: req.session, events });
    return { session: req.session, ...kept };
  }

  async similarItems(itemId: string, n = 10, scenarioId?: string): Promise<Recommendation[]> {
    this.check();
    const item = this.itemOf(itemId);
    const code = scenarioId === undefined ? this.m.scenarioCode[item]! : this.scenarioOf(scenarioId).code;
    const sources = { model: this.m, live: this.live, popular: (c: number) => this.p.popular.list(c) };
    return similarItems(sources, item, n, code);
  }

  logAnswer(
    user: string | undefined,
    scenario: string | undefined,
    items: readonly Recommendation[],
  ): string {
    this.check();
    return this.feedback.stamp(user, scenario, items, this.p.modelVersion);
  }

  async profile(user: string): Promise<UserProfileView> {
    this.check();
    const s = this.summaries;
    return profileView(this.m, user, await this.profiles.get(user), s ? (c) => s.get(user, c) : undefined);
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
    const reasons = reasonsOf(this.m, explainItem(q, item), retrieverOf(candidates, item));
    const sentence = await this.sentences.explain(
      { title: this.m.titles[item] ?? '', scenario: id },
      reasons,
    );
    return { ...reasons, sentence, score };
  }

  /** durable, then applied: the next recommendation reflects them */
  async addEvents(events: readonly EventInput[]): Promise<EventCounts> {
    this.check();
    const valid = parseEvents(events);
    await this.checks.check(valid, (i) => `events[${i}].`);
    const credit = await this.feedback.resolve(valid, (i) => `events[${i}].`);
    const counts = await this.p.bus.publishEvents(valid);
    await this.feedback.attribute(credit);
    return counts;
  }

  /** one event: as `addEvents`, a bad one's error naming its own field */
  async addEvent(event: EventInput): Promise<EventCounts> {
    this.check();
    const valid = parseEvents([event], '');
    await this.checks.check(valid, () => '');
    const credit = await this.feedback.resolve(valid, () => '');
    const counts = await this.p.bus.publishEvents(valid);
    await this.feedback.attribute(credit);
    return counts;
  }

  /**
   * A change another process made to the shared store (several server processes over one
   * database): applied to this engine's memory without writing again.
   */
  async applyPeerChange(c: PeerChange): Promise<void> {
    this.check();
    if (c.kind === 'events') this.applyEventsAt(c.events, Date.now());
    else if (c.kind === 'deleteItem') {
      this.dropItem(c.id);
      this.catalogChangedAt(this.p.bus.position());
    } else if (c.kind === 'deleteUser') {
      // impressions of the user this node still holds are not written after the erasure
      await this.feedback.log.erasing(c.user, async () => 0);
      this.forget(c.user, c.erasure);
      this.p.cache.forgetUsers([c.user]);
    } else if (c.kind === 'session') {
      const entries = c.events.map((e) => this.profiles.entryOf(e)).filter((h) => h !== undefined);
      this.sessions.add(c.session, entries);
    } else {
      const items = await this.p.store.items.getMany(c.ids);
      applyItems(this.itemTargets(), items, await storedVectors(this.p.store, this.p.encoder, this.m, items));
      this.catalogChangedAt(this.p.bus.position());
    }
  }

  async upsertItems(input: readonly Item[]): Promise<void> {
    this.check();
    const items = input.map((it, i) => validate(itemSchema, it, { prefix: `items[${i}]` }));
    // the other nodes must hear of it: refused before anything is written when they cannot
    this.p.bus.checkWritable();
    await this.p.store.items.upsert(items);
    if (this.p.encoder && this.m.dim > 0) {
      await encodeItems(this.p.store, this.p.encoder, items, fusionOptionsOf(this.p.config.encoder));
    }
    applyItems(this.itemTargets(), items, await storedVectors(this.p.store, this.p.encoder, this.m, items));
    const ids = items.map((it) => it.id);
    await this.peers?.({ kind: 'items', ids });
    this.catalogChangedAt(await this.p.bus.publishChange({ kind: 'items', ids }));
  }

  async deleteItem(id: string): Promise<boolean> {
    this.check();
    this.p.bus.checkWritable();
    const existed = await this.p.store.items.delete(id);
    this.dropItem(id);
    await this.peers?.({ kind: 'deleteItem', id });
    this.catalogChangedAt(await this.p.bus.publishChange({ kind: 'deleteItem', id }));
    return existed;
  }

  /** a deleted item stops being served, and leaves the sessions that viewed it */
  private dropItem(id: string): void {
    dropItem(this.itemTargets(), id);
    const i = this.p.index.get(id);
    if (i !== undefined) this.sessions.forgetItem(i);
    void this.sharedSessions.forgetItem(id);
  }

  /**
   * Erases the user from the store, the stored model and this engine's memory (see erase-user.ts,
   * forget.ts), then from the other server processes' memory, before it returns.
   */
  async deleteUser(user: string): Promise<number> {
    this.check();
    this.p.bus.checkWritable();
    // events of the user already accepted are made durable first, so they are erased with the rest
    await this.p.bus.drain();
    let erasure: MemoryErasure | undefined;
    // no queued impression of the user reaches the store after the erasure
    const n = await this.feedback.log.erasing(user, () =>
      eraseUser(this.p.store, this.p.config, user, async (source) => {
        erasure = await memoryErasure(source, { ...this.p, model: this.m });
        this.forget(user, erasure);
      }),
    );
    this.forget(user, undefined);
    const change = { kind: 'deleteUser' as const, user, ...(erasure ? { erasure } : {}) };
    await this.peers?.(change);
    await this.p.bus.publishChange(change);
    this.p.cache.forgetUsers([user]);
    return n;
  }

  /** the user's profile and what requests memoised, and their share of the model when given */
  private forget(user: string, erasure: MemoryErasure | undefined): void {
    this.profiles.forget(user);
    this.summaries?.forget(user);
    this.userPositions.delete(user);
    // cached sentences cite past items by title: none of the user's may outlive them
    this.sentences.forgetAll();
    this.p.lists.forgetUser(user);
    void this.sharedSessions.forgetItem(`user:${user}`);
    if (!erasure) return;
    const { index, popular, trending } = this.p;
    applyMemoryErasure({ model: this.m, index, popular, trending }, erasure);
    // other profiles' memoised candidates and scores were ranked with the user's share in the model
    this.memo.clear();
  }

  /** named filters: stored in the data store, checked against the catalog's fields when set */
  get filters(): FilterAdmin {
    return this.controls;
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
    // events already accepted are written (and applied) before the store closes
    await this.p.bus.drain();
    await this.feedback.close();
    this.closed = true;
    if (this.p.ownsBus) await this.p.bus.close();
    if (this.p.ownsCache) await this.p.cache.close();
    this.profiles.clear();
    this.sessions.clear();
    this.memo.clear();
    this.live.clear();
    this.sentences.close();
    this.summaries?.close();
    if (this.p.ownsGenerator) await this.p.generator?.close();
    if (this.p.ownsStore) await this.p.store.close();
    if (this.p.ownsEncoder) await this.p.encoder?.close();
  }
}

/**
 * A stored session event's id: the same for a retry of the same event (a duplicate, not a second
 * event), hashed when the readable form would pass the id length limit.
 */
function sessionEventId(session: string, e: { item: string; type: string; ts: number }): string {
  const id = `session:${session}:${e.item}:${e.type}:${e.ts}`;
  return id.length <= MAX_ID_LENGTH ? id : `session:${createHash('sha256').update(id).digest('base64url')}`;
}

/** the request with a variant's diversity, when it sets one */
function withVariant(req: ValidRecommendRequest, v: Variant): ValidRecommendRequest {
  return v.diversity === undefined ? req : { ...req, diversity: v.diversity };
}
