/**
 * The engine's public contract: what the library, CLI and HTTP server call. The composition root
 * (`createEngine`) is the only place that picks implementations.
 */
import type { Context, Event, EventInput, Item, Scenario } from '../core/types.ts';
import type { HourBand } from '../model/context.ts';
import type { ListAnswer, ListKind } from './context-lists.ts';
import type { ExperimentStats } from './experiment-stats.ts';
import type { Experiment } from './experiments.ts';
import type { MemoryErasure } from './forget.ts';
import type { ImpressionLogStats } from './impression-log.ts';
import type { FilterInput, NamedFilter, NamedFilterBody } from './named-filters.ts';
import type { ScoreAllRequest, ScoredItems } from './score-all.ts';

export interface RecommendRequest {
  /** optional when `context.session` names an anonymous session, whose items are then the history */
  user?: string;
  scenario: string;
  n?: number;
  context?: Context;
  /** MMR lambda in [0, 1]: 0 = pure relevance, 1 = most diverse */
  diversity?: number;
  /** item ids never to return */
  exclude?: readonly string[];
  /** only items the filter matches: expression text or its JSON form (docs/api.md, "Filter language") */
  filter?: FilterInput;
  /** a stored named filter, and-ed with `filter` */
  filterName?: string;
  /** score adjustments for the items each `when` matches, applied in order: score * multiply + add */
  boosts?: readonly { when: FilterInput; multiply?: number; add?: number }[];
  /** `slots` of the answer filled from the best-scored items of a filter, marked `promoted` */
  promote?: { filter?: FilterInput; filterName?: string; slots: number; placement?: 'top' | 'spread' };
}

/** a score adjustment an item received (a request's boost, or its scenario's freshness boost) */
export interface BoostReason {
  /** `boost`: the request's `boosts[index]`; `freshness`: the scenario rule `freshnessBoost` */
  source: 'boost' | 'freshness';
  index?: number;
  /** the boost's filter, as text */
  when?: string;
  multiply?: number;
  add?: number;
  /** change of the score it caused */
  effect: number;
}

export interface InterestRef {
  id: string;
  label: string;
  weight: number;
  similarity: number;
}

export interface HistoryReason {
  item: string;
  title: string;
  scenario: string;
  /** share of the score this past item contributed */
  contribution: number;
}

export interface ContextReason {
  feature: string;
  value: string | number | boolean;
  /** change of the score this feature caused */
  effect: number;
}

export interface Explanation {
  /**
   * The retriever of the fallback chain that proposed the item for this user, scenario and
   * context; `none` (explain only) where the chain would not propose it (consumed, unavailable,
   * excluded by a rule, or outside the candidates).
   */
  retriever: string;
  interest?: InterestRef;
  history: HistoryReason[];
  context: ContextReason[];
  /**
   * The reasons in one sentence: the template, or with a generator configured a generated sentence
   * that names only what the reasons hold (engine/sentences.ts)
   */
  sentence?: string;
  /** the boosts that changed the score, in the order applied (absent when none) */
  boosts?: BoostReason[];
}

export interface Recommendation {
  item: string;
  title: string;
  scenario: string;
  score: number;
  reasons: Explanation;
  /** placed by the request's `promote` (absent otherwise) */
  promoted?: true;
}

export interface RecommendResponse {
  /** absent for an anonymous session's request */
  user?: string;
  /** the session whose items were the history (no user, or a user without history) */
  session?: string;
  scenario: string;
  items: Recommendation[];
  /** names of the retrievers in the fallback chain that contributed */
  retrievers: string[];
  modelVersion: string;
  /** this answer's id: events citing it are credited to it (src/engine/feedback.ts) */
  recommendationId?: string;
  /**
   * The running experiment of the scenario that shaped the answer; `variant` for A/B;
   * `modelVersions`: the version each variant answered from, where a variant names one
   */
  experiment?: { id: string; variant?: string; modelVersions?: Record<string, string> };
}

export interface Interest {
  id: string;
  label: string;
  /** one sentence: the generator's when one is configured and has written it, else the template */
  summary: string;
  /** the generator that wrote `summary`; absent for the template */
  summaryBy?: string;
  weight: number;
  /** share of this interest's mass per scenario */
  scenarioMix: Record<string, number>;
  lastTs: number;
  /** most representative items */
  topItems: string[];
  /** 2-D projection for maps */
  xy?: [number, number];
}

export interface UserProfileView {
  user: string;
  events: number;
  fused: Interest[];
  perScenario: Record<string, Interest[]>;
  updatedAt: number;
}

/** Online experiments of an engine (src/engine/experiments.ts); the same for CLI and admin API. */
export interface ExperimentAdmin {
  /** validated (shares sum to 1, known scenario, one running experiment per scenario) */
  create(input: unknown): Promise<Experiment>;
  list(): Promise<Experiment[]>;
  stop(id: string): Promise<Experiment>;
  /** per-variant click-through and conversion with 95 % intervals; NOT_FOUND for an unknown id */
  status(id: string): Promise<ExperimentStats & { log: ImpressionLogStats }>;
}

export interface Engine {
  /** experiments and their status; absent on engines without a feedback log */
  experiments?: ExperimentAdmin;
  /** validated here (src/engine/requests.ts): a bad request is a RecError naming its field */
  recommend(req: RecommendRequest): Promise<RecommendResponse>;
  similarItems(item: string, n?: number, scenario?: string): Promise<Recommendation[]>;
  /**
   * Gives an answer made outside `recommend` (similar items) a recommendation id and, with a user,
   * logs it as their impression; absent on engines without a feedback log.
   */
  logAnswer?(
    user: string | undefined,
    scenario: string | undefined,
    items: readonly Recommendation[],
  ): string;
  /** scores of a scenario's items for an explicit history, as recommend ranks them (src/engine/score-all.ts; the FusionEngine has it) */
  scoreAll?(req: ScoreAllRequest): ScoredItems;
  profile(user: string): Promise<UserProfileView>;
  explain(user: string, item: string, context?: Context): Promise<Explanation & { score: number }>;
  /**
   * Durable, then the profiles are updated so the next recommendation reflects them. Validated
   * here, schema and catalog (scenario known, item of that scenario), all before anything is
   * written: a bad event's error names `events[i].<field>`.
   */
  addEvents(events: readonly EventInput[]): Promise<{ inserted: number; duplicates: number }>;
  /** one event, as `addEvents`; a bad one's error names its own field */
  addEvent(event: EventInput): Promise<{ inserted: number; duplicates: number }>;
  upsertItems(items: readonly Item[]): Promise<void>;
  /** see FusionEngine.peers: several server processes over one database */
  peers?: ((change: PeerChange) => Promise<void>) | undefined;
  applyPeerChange?(change: PeerChange): Promise<void>;
  /** told after another node's change reached this engine through the bus (src/bus/) */
  remoteChanged?: ((change: PeerChange) => void) | undefined;
  deleteItem(id: string): Promise<boolean>;
  deleteUser(user: string): Promise<number>;
  scenarios(): Promise<Scenario[]>;
  /** named filters (docs/api.md, "Named filters"): checked against the catalog's fields when set */
  filters?: FilterAdmin;
  /**
   * Swaps to the store's active model version, built off to the side; requests under way finish
   * on the old one (src/engine/swap.ts). Resolves with the version served after it.
   */
  reloadModel?(): Promise<string | undefined>;
  /** a message bus announced an activation: swaps unless `version` is already served */
  onModelActivated?(version: string): Promise<string | undefined>;
  /** the model version answers name now (undefined: signals rebuilt without a trained model) */
  readonly modelVersion?: string | undefined;
  /** trending, popular or new items of a scenario, per context (src/engine/context-lists.ts; the FusionEngine has it) */
  list?(req: ListRequest): Promise<ListAnswer>;
  /** items an anonymous session viewed, kept in memory (src/engine/sessions.ts; the FusionEngine has it) */
  addSessionEvents?(
    req: SessionEventsRequest,
  ): Promise<{ session: string; items: number; expiresAt: number }>;
  close(): Promise<void>;
}

export interface FilterAdmin {
  list(): Promise<NamedFilter[]>;
  get(name: string): Promise<NamedFilter | undefined>;
  /** parsed and type-checked first: a bad filter is a 400 naming its position, and nothing is stored */
  set(name: string, body: NamedFilterBody): Promise<NamedFilter>;
  delete(name: string): Promise<boolean>;
}

export interface ListRequest {
  list: ListKind;
  scenario: string;
  n?: number;
  context?: { device?: string; band?: HourBand; hour?: number };
}

export interface SessionEventsRequest {
  session: string;
  /** given: the events are also stored as this user's */
  user?: string;
  events: readonly { item: string; type?: string; ts?: number }[];
}

/** a write one server process made to the shared store, for the others to apply in memory */
export type PeerChange =
  | { kind: 'events'; events: Event[] }
  | { kind: 'items'; ids: string[] }
  | { kind: 'deleteItem'; id: string }
  /** items an anonymous session viewed (src/engine/sessions.ts), relayed between processes of one machine only */
  | {
      kind: 'session';
      session: string;
      events: { item: string; scenario: string; type: string; ts: number }[];
    }
  /** `erasure`: the user's share of the model, for the other processes to take out too */
  | { kind: 'deleteUser'; user: string; erasure?: MemoryErasure };
