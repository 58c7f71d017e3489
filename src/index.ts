/**
 * fusionrec as a library (`import { createEngine, loadConfig } from 'fusionrec'`). The write path
 * is import -> encode -> train, each on the store the config names; the read path is one engine:
 *
 *   const engine = await createEngine(loadConfig('fusionrec.config.json'));
 *   const res = await engine.recommend({ user: 'u001', scenario: 'music', n: 10 });
 *   await engine.close();
 *
 * `createComponents` gives the store, encoder and generative model the config names, for the
 * write path and for callers that share them with an engine. Everything else is internal.
 */

// configuration
export { loadConfig, parseConfig } from './config/load.ts';
export type { Config, ConfigInput } from './config/schema.ts';
// records and errors
export { ERROR_CATALOGUE, type ErrorCode, isRecError, RecError } from './core/errors.ts';
export type {
  Context,
  Event,
  EventInput,
  Item,
  ItemInput,
  Scenario,
  ScenarioInput,
  User,
} from './core/types.ts';
// the demo catalog, built into the config's store with its encoder
export { buildDemoStore, type DemoReport } from './demo/build.ts';
// the write path: import, encode, train
export { type EncodeOptions, type EncodeReport, encodeCatalog } from './encode/catalog.ts';
export type { Encoder } from './encode/types.ts';
// the engine and the components it runs on
export {
  type ComponentOverrides,
  type Components,
  createComponents,
  createEngine,
  type EngineDeps,
} from './engine/create.ts';
export type {
  ContextReason,
  Engine,
  Explanation,
  HistoryReason,
  Interest,
  InterestRef,
  Recommendation,
  RecommendRequest,
  RecommendResponse,
  UserProfileView,
} from './engine/types.ts';
export type { Generator } from './generate/types.ts';
export {
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportOptions,
  type ImportReport,
  importDataset,
} from './ingest/index.ts';
export type { Store } from './store/types.ts';
export { type TrainOptions, type TrainReport, trainFromStore } from './train/train.ts';
