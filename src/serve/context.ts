import type { Config } from '../config/schema.ts';
import type { Pseudonymiser } from '../core/privacy.ts';
import type { VectorSource } from '../engine/taste-map.ts';
import type { Engine } from '../engine/types.ts';
import type { Store, StoreStats } from '../store/types.ts';
import type { LatencyRecorder } from './metrics.ts';
import type { TokenSigner } from './tokens.ts';

/** What the server is given: the engine it serves and the store the engine was built on. */
export interface ServeDeps {
  engine: Engine;
  store: Store;
  /** item vectors for the map; without it the map endpoint answers 503 */
  itemVectors?: VectorSource;
  /** versions of the models in use (encoder id, ranker hash, ...), for the system page */
  versions?: () => Promise<Record<string, string>>;
}

/** Everything a route handler may use; built once per tenant of a server. */
export interface ServerContext extends ServeDeps {
  config: Config['server'];
  pseudonym: Pseudonymiser;
  latency: LatencyRecorder;
  /** ids of the known scenarios (cached; refreshed when a write names an unknown one) */
  scenarioIds(): Promise<Set<string>>;
  /** invalidates caches derived from the catalog (scenario ids, vectors) after a write */
  catalogChanged(): void;
  /** store counts, recomputed at most every few seconds (a full count is a table scan) */
  cachedStats(): Promise<StoreStats>;
  /** facts learned from responses, for the system page (the engine's model version) */
  served: { modelVersion?: string };
  /** mints and checks user tokens; absent when `server.tokenSecret` is empty (tokens off) */
  tokens?: TokenSigner;
  /** the OpenAPI document of every route */
  openapi(): Record<string, unknown>;
}
