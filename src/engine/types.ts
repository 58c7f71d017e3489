/**
 * The engine's public contract: what the library, CLI and HTTP server call. The composition root
 * (`createEngine`) is the only place that picks implementations.
 */

import type { Context, Event, Item, Scenario } from '../core/types.ts';
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
  /** `validated`: the caller already checked the request against a schema at least as strict
   * (the HTTP route), so it is not parsed twice */
  recommend(req: RecommendRequest, opts?: { validated?: boolean }): Promise<RecommendResponse>;
  similarItems(item: string, n?: number, scenario?: string): Promise<Recommendation[]>;
  /** scores of a scenario's items for an explicit history, as recommend ranks them (src/engine/score-all.ts; the FusionEngine has it) */
  scoreAll?(req: ScoreAllRequest): ScoredItems;
  profile(user: string): Promise<UserProfileView>;
  explain(user: string, item: string, context?: Context): Promise<Explanation & { score: number }>;
  /** durable, then the profile is updated so the next recommendation reflects it */
  /**
   * `validated`: the caller has already parsed every event with `eventSchema` (the HTTP routes
   * do), so they are not parsed again.
   */
  addEvents(
    events: readonly Event[],
    opts?: { validated?: boolean },
  ): Promise<{ inserted: number; duplicates: number }>;
  upsertItems(items: readonly Item[]): Promise<void>;
  /** see FusionEngine.peers: several server processes over one database */
  peers?: ((change: PeerChange) => Promise<void>) | undefined;
  applyPeerChange?(change: PeerChange): Promise<void>;
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
  | { kind: 'deleteUser'; user: string };
