/**
 * The engine behind the library API: profile -> retrieve -> rank -> re-rank -> explain, on an
 * in-memory scoring model built from the store, updated in place as events and items arrive. This
 * class holds the parts and the order of the steps; each step lives in its own module, the write
 * side in writes.ts, the wiring of the parts in assemble.ts.
 */
import type { EventCounts } from '../bus/types.ts';
import { RecError } from '../core/errors.ts';
import type { Context, EventInput, Item, Scenario } from '../core/types.ts';
import type { VectorIndex } from '../index/types.ts';
import { hourBandOf } from '../model/context.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { UserProfile } from '../profile/types.ts';
import { prepareQuery, type Query, QueryScratch } from '../rank/query.ts';
import type { AnswerCache } from './answer-cache.ts';
import { assembleEngine } from './assemble.ts';
import type { ListAnswer } from './context-lists.ts';
import type { Controls } from './controls.ts';
import { explainAnswer } from './explain-answer.ts';
import type { Feedback } from './feedback.ts';
import type { LiveItems } from './live-items.ts';
import type { ProfileMemo } from './memo.ts';
import type { EngineParts } from './parts.ts';
import type { Profiles } from './profiles.ts';
import type { Ranking } from './recommend.ts';
import type { RequestProfiles } from './request-profile.ts';
import { parseListRequest, parseRecommendRequest, type ValidRecommendRequest } from './requests.ts';
import type { ReviewSentiment } from './review-sentiment.ts';
import { type ScoreAllRequest, type ScoredItems, scoreAll } from './score-all.ts';
import type { ExplanationSentences } from './sentences.ts';
import type { Sessions } from './sessions.ts';
import { similarItems } from './similar.ts';
import type { InterestSummaries } from './summaries.ts';
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
import { type Variants, withVariant } from './variants.ts';
import { profileView } from './views.ts';
import type { EngineWrites } from './writes.ts';

export type { EngineParts } from './parts.ts';

export class FusionEngine implements Engine {
  // the sub-parts and how they are wired to each other: see assemble.ts
  private readonly m: ScoringModel;
  private readonly memo: ProfileMemo;
  private readonly scratch = new QueryScratch();
  private readonly live: LiveItems;
  private readonly profiles: Profiles;
  private readonly ranking: Ranking;
  private readonly sentences: ExplanationSentences;
  private readonly summaries: InterestSummaries | undefined;
  private readonly reviewSentiment: ReviewSentiment | undefined;
  private readonly controls: Controls;
  private readonly sessions: Sessions;
  private readonly answers: AnswerCache;
  private readonly variants: Variants;
  private readonly writes: EngineWrites;
  private readonly requestProfiles: RequestProfiles;
  /** recommendation ids, impressions, attribution and experiments (feedback.ts) */
  readonly feedback: Feedback;
  readonly experiments: ExperimentAdmin;
  private closed = false;
  /**
   * Set by a multi-process server (src/serve/cluster.ts): told of every write after it is stored
   * and applied here, and awaited, so the other processes have it before the write is answered.
   */
  peers: ((change: PeerChange) => Promise<void>) | undefined;
  /** told after a change another node made was applied here (the server drops its catalog caches) */
  remoteChanged: ((change: PeerChange) => void) | undefined;

  constructor(private readonly p: EngineParts) {
    const s = assembleEngine(p, {
      closed: () => this.closed,
      checkScenario: (id) => {
        this.check();
        this.scenarioOf(id);
      },
      scenarios: () => this.scenarios(),
      peers: () => this.peers,
      remoteChanged: () => this.remoteChanged,
    });
    this.m = s.model;
    this.memo = s.memo;
    this.live = s.live;
    this.profiles = s.profiles;
    this.ranking = s.ranking;
    this.sentences = s.sentences;
    this.summaries = s.summaries;
    this.reviewSentiment = s.reviewSentiment;
    this.controls = s.controls;
    this.sessions = s.sessions;
    this.answers = s.answers;
    this.variants = s.variants;
    this.writes = s.writes;
    this.requestProfiles = s.requestProfiles;
    this.feedback = s.feedback;
    this.experiments = s.experiments;
  }

  /** what the bus delivers: durable events (every node's) and other nodes' changes */
  busHandlers() {
    return this.writes.busHandlers();
  }

  private check(): void {
    if (this.closed) throw new RecError('INTERNAL', 'engine is closed');
  }

  private scenarioOf(id: string, field = 'scenario'): { scenario: Scenario | undefined; code: number } {
    const code = this.m.scenarios.indexOf(id);
    const scenario = this.p.scenarios.get(id);
    if (code < 0 && !scenario) throw new RecError('UNKNOWN_SCENARIO', `unknown scenario "${id}"`, { field });
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
  query(
    profile: UserProfile,
    scenario: string,
    context?: Context,
    scratch?: QueryScratch,
    model = this.m,
  ): Query {
    const q = prepareQuery(model, profile, { scenario, context, now: Date.now() }, scratch);
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
    // versions no running experiment names any more (one stopped by another node) are released
    this.variants.retain(this.feedback.experiments.runningNow());
    return this.feedback.recommend(req, async (r, variant) =>
      variant
        ? this.answer(withVariant(r, variant), await this.variants.rankingOf(variant), variant.fusion)
        : this.answers.answer(r, (x) => this.answer(x)),
    );
  }

  private async answer(
    req: ValidRecommendRequest,
    ranking = this.ranking,
    fusion?: boolean,
  ): Promise<RecommendResponse> {
    const { scenario, code } = this.scenarioOf(req.scenario);
    // filters, boosts and promotion: checked (a bad one is a 400 naming its position) before any work
    const controls = await this.controls.resolve(req, Date.now());
    const { profile, session } = await this.requestProfiles.of(req, fusion);
    // from here on synchronous: the query may use the engine's scratch arrays, released below
    let q: Query | undefined;
    const query = () => {
      q ??= this.query(profile, req.scenario, req.context, this.scratch, ranking.model);
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

  /** trending, popular or new items of a scenario, in a context (see context-lists.ts) */
  async list(input: ListRequest): Promise<ListAnswer> {
    this.check();
    const req = parseListRequest(input);
    const { code } = this.scenarioOf(req.scenario);
    const c = req.context;
    const band = c?.band ?? (c?.hour !== undefined ? hourBandOf(c.hour) : undefined);
    return this.p.lists.list(
      req.list,
      code,
      req.scenario,
      req.n,
      { device: c?.device, band },
      this.live.listSources(),
    );
  }

  /** see EngineWrites.addSessionEvents */
  addSessionEvents(
    input: SessionEventsRequest,
  ): Promise<{ session: string; items: number; expiresAt: number }> {
    this.check();
    return this.writes.addSessionEvents(input);
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

  /** see explain-answer.ts */
  async explain(user: string, itemId: string, context?: Context): Promise<Explanation & { score: number }> {
    this.check();
    const { m: model, profiles, ranking, sentences } = this;
    const query = this.query.bind(this);
    const d = { model, profiles, ranking, sentences, query, scenarioOf: (id: string) => this.scenarioOf(id) };
    return explainAnswer(d, user, this.itemOf(itemId), context);
  }

  /** durable, then applied: the next recommendation reflects them */
  addEvents(events: readonly EventInput[]): Promise<EventCounts> {
    this.check();
    return this.writes.addEvents(events);
  }

  /** one event: as `addEvents`, a bad one's error naming its own field */
  addEvent(event: EventInput): Promise<EventCounts> {
    this.check();
    return this.writes.addEvents([event], true);
  }

  /** a change another process made to the shared store, applied here without writing again */
  applyPeerChange(c: PeerChange): Promise<void> {
    this.check();
    return this.writes.applyPeerChange(c);
  }

  upsertItems(input: readonly Item[]): Promise<void> {
    this.check();
    return this.writes.upsertItems(input);
  }

  deleteItem(id: string): Promise<boolean> {
    this.check();
    return this.writes.deleteItem(id);
  }

  /** erased from the store, the stored model and every process's memory before it returns */
  deleteUser(user: string): Promise<number> {
    this.check();
    return this.writes.deleteUser(user);
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
    this.reviewSentiment?.close();
    this.variants.clear();
    if (this.p.ownsGenerator) await this.p.generator?.close();
    if (this.p.ownsStore) await this.p.store.close();
    if (this.p.ownsEncoder) await this.p.encoder?.close();
  }
}
