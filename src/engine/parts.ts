/**
 * What the composition root (engine/create.ts) hands a FusionEngine: the components it picked,
 * which of them the engine closes, and the model and lists one boot built.
 */
import type { EventBus } from '../bus/types.ts';
import type { SharedCache } from '../cache/types.ts';
import type { Config } from '../config/schema.ts';
import type { Scenario } from '../core/types.ts';
import type { Encoder } from '../encode/types.ts';
import type { Generator } from '../generate/types.ts';
import type { VectorIndexFactory } from '../index/create.ts';
import type { VectorIndex } from '../index/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { ItemFacts } from '../rank/filter/facts.ts';
import type { RetrieverFactory } from '../retrieve/registry.ts';
import type { Store } from '../store/types.ts';
import type { ContextLists } from './context-lists.ts';
import type { ErasedUsers } from './erased.ts';
import type { RankedCounts } from './lists.ts';

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
  /** users erased while this process runs, shared with the bus (erased.ts; outlives generations) */
  erased?: ErasedUsers | undefined;
  /** the response cache shared by the nodes (src/cache/) */
  cache: SharedCache;
  ownsCache: boolean;
  /** vector indices read back from the boot snapshot, by scenario code (else built here) */
  vectorIndices?: ReadonlyMap<number, VectorIndex> | undefined;
}
