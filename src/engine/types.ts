/**
 * The engine's public contract: what the library, CLI and HTTP server call. The composition root
 * (`createEngine`) is the only place that picks implementations.
 */
import type { Context, Event, EventInput, Item, Scenario } from '../core/types.ts';
import type { ExperimentStats } from './experiment-stats.ts';
import type { Experiment } from './experiments.ts';
import type { MemoryErasure } from './forget.ts';
import type { ImpressionLogStats } from './impression-log.ts';
import type { ScoreAllRequest, ScoredItems } from './score-all.ts';

export interface RecommendRequest {
  user: string;
  scenario: string;
  n?: number;
  context?: Context;
  /** MMR lambda in [0, 1]: 0 = pure relevance, 1 = most diverse */
  diversity?: number;
  /** item ids never to return */
  exclude?: readonly string[];
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
}

export interface Recommendation {
  item: string;
  title: string;
  scenario: string;
  score: number;
  reasons: Explanation;
}

export interface RecommendResponse {
  user: string;
  scenario: string;
  items: Recommendation[];
  /** names of the retrievers in the fallback chain that contributed */
  retrievers: string[];
  modelVersion: string;
  /** this answer's id: events citing it are credited to it (src/engine/feedback.ts) */
  recommendationId?: string;
  /** the running experiment of the scenario that shaped the answer; `variant` for A/B */
  experiment?: { id: string; variant?: string };
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
  close(): Promise<void>;
}

/** a write one server process made to the shared store, for the others to apply in memory */
export type PeerChange =
  | { kind: 'events'; events: Event[] }
  | { kind: 'items'; ids: string[] }
  | { kind: 'deleteItem'; id: string }
  /** `erasure`: the user's share of the model, for the other processes to take out too */
  | { kind: 'deleteUser'; user: string; erasure?: MemoryErasure };
