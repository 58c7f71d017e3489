/**
 * The engine's public contract: what the library, CLI and HTTP server call. The composition root
 * (`createEngine`) is the only place that picks implementations.
 */
import type { Context, Event, EventInput, Item, Scenario } from '../core/types.ts';
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
  /** optional sentence from the generative model */
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
}

export interface Interest {
  id: string;
  label: string;
  summary: string;
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

export interface Engine {
  /** validated here (src/engine/requests.ts): a bad request is a RecError naming its field */
  recommend(req: RecommendRequest): Promise<RecommendResponse>;
  similarItems(item: string, n?: number, scenario?: string): Promise<Recommendation[]>;
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
  deleteItem(id: string): Promise<boolean>;
  deleteUser(user: string): Promise<number>;
  scenarios(): Promise<Scenario[]>;
  /**
   * Swaps to the store's active model version, built off to the side; requests under way finish
   * on the old one (src/engine/swap.ts). Resolves with the version served after it.
   */
  reloadModel?(): Promise<string | undefined>;
  /** a message bus announced an activation: swaps unless `version` is already served */
  onModelActivated?(version: string): Promise<string | undefined>;
  /** the model version answers name now (undefined: signals rebuilt without a trained model) */
  readonly modelVersion?: string | undefined;
  close(): Promise<void>;
}

/** a write one server process made to the shared store, for the others to apply in memory */
export type PeerChange =
  | { kind: 'events'; events: Event[] }
  | { kind: 'items'; ids: string[] }
  | { kind: 'deleteItem'; id: string }
  | { kind: 'deleteUser'; user: string };
