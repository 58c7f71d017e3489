/**
 * Composition root: the only place that picks implementations. `createComponents` gives every
 * component its default from the config (store by URL, encoder by provider, vector index, the
 * retrievers, the generative model, the event bus by `bus.url`, the shared cache by `cache.url`),
 * each replaceable by an explicit override; `createEngine`
 * reads the catalog and item vectors, takes the trained model when its stamp matches the data
 * and config (else rebuilds the signals from the store, or refuses with MODEL_STALE), and wires
 * profiles, retrievers, ranker and re-ranker into an Engine.
 */

import { LocalBus } from '../bus/local.ts';
import { openNatsBus } from '../bus/nats.ts';
import type { EventBus } from '../bus/types.ts';
import { openRedisCache } from '../cache/redis.ts';
import { NO_CACHE, type SharedCache } from '../cache/types.ts';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import type { Scenario } from '../core/types.ts';
import { createEncoder } from '../encode/create.ts';
import type { Encoder } from '../encode/types.ts';
import { createGenerator } from '../generate/create.ts';
import type { Generator } from '../generate/types.ts';
import { createVectorIndex, type VectorIndexFactory } from '../index/create.ts';
import { buildScoringModel } from '../model/build.ts';
import { dataHash, loadModel, stampOf } from '../model/file.ts';
import { eventWeight } from '../profile/weights.ts';
import { defaultRetrievers, type RetrieverFactory } from '../retrieve/registry.ts';
import { seqFeatureOf } from '../seq/feature.ts';
import { loadSeqModel, seqStampOf } from '../seq/persist.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { ContextLists } from './context-lists.ts';
import { FusionEngine } from './engine.ts';
import { graphOptionsOf, historiesCarryNoOrder } from './graph-options.ts';
import { RankedCounts } from './lists.ts';
import { loadCatalog, loadInteractions, sequencesOf } from './snapshot.ts';
import type { Engine } from './types.ts';

/**
 * Explicit implementations, for tests and for callers that share one (a server and its engine).
 * Absent: the config's choice, made here and closed by whoever asked for it. `null`: none.
 */
export interface ComponentOverrides {
  store?: Store;
  /** the encoder whose item vectors to use, and to encode upserted items with; `null`: no text */
  encoder?: Encoder | null;
  /** the generative model that enriches items; `null`: none */
  generator?: Generator | null;
  vectorIndex?: VectorIndexFactory;
  retrievers?: RetrieverFactory;
  /** the event bus (one per engine: it delivers to the engine it was started with) */
  bus?: EventBus;
  cache?: SharedCache;
}

export interface EngineDeps extends ComponentOverrides {
  /** stale-model and similar notices (default: stderr) */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** the clock anonymous sessions expire by (default: Date.now) */
  clock?: () => number;
}

/** Every implementation the engine and the pipelines run on. */
export interface Components {
  store: Store;
  encoder: Encoder | null;
  /** made on first call (only enrichment needs it): `generator.provider` `none` gives null */
  generator(): Generator | null;
  vectorIndex: VectorIndexFactory;
  retrievers: RetrieverFactory;
  /**
   * made on first call (commands that only read or import need none): in-process with an empty
   * `bus.url`, else NATS JetStream
   */
  bus(): Promise<EventBus>;
  /** made on first call: none with an empty `cache.url`, else Redis */
  cache(): Promise<SharedCache>;
  /** closes what was made here, not what was passed in */
  close(): Promise<void>;
}

/** The exact index below `engine.exactSearchBelow` vectors, HNSW above. */
function vectorIndexOf(engine: Config['engine']): VectorIndexFactory {
  return (dim, expectedSize) =>
    createVectorIndex(dim, expectedSize, engine.exactSearchBelow, engine.searchExpansion);
}

/**
 * Each component as the config names it unless overridden (Orama's `createComponents`): the store
 * by `store.url`, the encoder by `encoder.provider`, the vector index by the engine's thresholds.
 */
export async function createComponents(config: Config, o: ComponentOverrides = {}): Promise<Components> {
  const store = o.store ?? (await openStore(config.store.url));
  let encoder: Encoder | null;
  try {
    encoder = o.encoder === undefined ? await createEncoder(config.encoder) : o.encoder;
  } catch (e) {
    if (!o.store) await store.close();
    throw e;
  }
  let generator: Generator | null | undefined = o.generator;
  let madeGenerator = false;
  let bus: Promise<EventBus> | undefined = o.bus && Promise.resolve(o.bus);
  let cache: Promise<SharedCache> | undefined = o.cache && Promise.resolve(o.cache);
  return {
    store,
    encoder,
    generator() {
      if (generator === undefined) {
        generator = createGenerator(config.generator) ?? null;
        madeGenerator = true;
      }
      return generator;
    },
    vectorIndex: o.vectorIndex ?? vectorIndexOf(config.engine),
    retrievers: o.retrievers ?? defaultRetrievers,
    bus() {
      bus ??= config.bus.url ? openNatsBus({ ...config.bus, store }) : Promise.resolve(new LocalBus(store));
      return bus;
    },
    cache() {
      cache ??= config.cache.url
        ? openRedisCache({
            url: config.cache.url,
            prefix: config.cache.prefix,
            ttlMs: config.cache.recommendTtlMs,
          })
        : Promise.resolve(NO_CACHE);
      return cache;
    },
    async close() {
      if (madeGenerator) await generator?.close();
      if (o.encoder === undefined) await encoder?.close();
      // the bus writes what it accepted to the store: closed before it
      if (!o.cache) await (await cache?.catch(() => undefined))?.close();
      if (!o.bus) await (await bus?.catch(() => undefined))?.close();
      if (!o.store) await store.close();
    },
  };
}

export async function scenarioMap(store: Store, config: Config): Promise<Map<string, Scenario>> {
  const map = new Map<string, Scenario>(config.scenarios.map((s) => [s.id, s]));
  for (const s of await store.scenarios.list()) map.set(s.id, s);
  return map;
}

/**
 * The engine over the config's components, or the ones given in `deps`; it closes (with itself)
 * only those it made.
 */
export async function createEngine(config: Config, deps: EngineDeps = {}): Promise<Engine> {
  // the engine's generator writes summaries and sentences only: none is made when both are off
  const wanted = config.generator.summaries || config.generator.explain;
  const parts = await createComponents(config, wanted ? deps : { ...deps, generator: null });
  const warn = deps.onWarning ?? ((m: string) => console.warn(`warning: ${m}`));
  try {
    return await assemble(config, parts, deps, warn);
  } catch (e) {
    await parts.close();
    throw e;
  }
}

async function assemble(
  config: Config,
  parts: Components,
  deps: EngineDeps,
  warn: (m: string) => void,
): Promise<Engine> {
  const { store } = parts;
  const encoder = parts.encoder ?? undefined;
  // before the store is read: a clustered bus notes what the store already holds
  const bus = await parts.bus();
  const cache = await parts.cache();
  const catalog = await loadCatalog(store, encoder?.id);
  const scenarios = await scenarioMap(store, config);
  const trained = await loadModel(store);
  const { stamp } = stampOf(await dataHash(store, catalog.itemIds), config.train);
  let fresh = trained !== undefined && trained.header.stamp === stamp;
  if (fresh && trained!.header.itemIds.length !== catalog.itemIds.length) fresh = false;
  if (trained && !fresh) {
    if (config.engine.staleModel === 'error') {
      throw new RecError(
        'MODEL_STALE',
        'the trained model was made from other data or settings: run `fusionrec train`',
        {
          details: { model: trained.header.stamp, data: stamp },
        },
      );
    }
    warn(
      'the trained model is stale (data or train config changed): signals rebuilt from the store; run `fusionrec train` to refit the ranker',
    );
  }
  const inter = await loadInteractions(store, catalog.index, deps.signal ? { signal: deps.signal } : {});
  const weightsOf = (s: string) => scenarios.get(s)?.eventWeights ?? {};
  const sequences = fresh ? [] : sequencesOf(inter, catalog.index, weightsOf);
  const model = buildScoringModel(catalog, sequences, {
    graph: graphOptionsOf(config.train, historiesCarryNoOrder(inter)),
    context: inter.context,
    switches: { useText: true, useContext: config.train.context, useIds: config.train.ids },
    ...(fresh ? { graphs: trained!.graphs } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  if (trained) model.ranker = trained.header.ranker;
  if (config.seq.enabled) {
    // the sequential model is stamped with the engine model's stamp: a stale one is not used
    const seq = await loadSeqModel(store, seqStampOf(stamp, config.seq, config.train.seed, encoder?.id));
    if (seq && seq.model.shape.numItems === model.numItems)
      model.seq = seqFeatureOf(seq.model, [], seq.featureScale);
  }
  const since = inter.maxTs - config.engine.trendingDays * 86_400_000;
  const trendCounts = new Float32Array(model.numItems);
  for (const list of inter.byUser.values()) {
    for (const e of list) if (e.ts >= since) trendCounts[catalog.index.get(e.item)!]! += 1;
  }
  const lists = () => model.scenarioItems;
  const contextLists = new ContextLists(config.engine.lists);
  for (let i = 0; i < catalog.itemIds.length; i++) contextLists.setCreated(i, catalog.facts.createdAtOf(i));
  for (const [user, list] of inter.byUser) {
    for (const e of list) {
      if (eventWeight(e, weightsOf(e.scenario)) <= 0) continue;
      const item = catalog.index.get(e.item)!;
      contextLists.add(model.scenarioCode[item]!, item, user, e.ts, e.context);
    }
  }
  const engine = new FusionEngine({
    config,
    store,
    ownsStore: !deps.store,
    encoder,
    ownsEncoder: deps.encoder === undefined,
    generator: parts.generator() ?? undefined,
    ownsGenerator: deps.generator === undefined,
    vectorIndex: parts.vectorIndex,
    retrievers: parts.retrievers,
    model,
    index: catalog.index,
    available: catalog.available,
    facts: catalog.facts,
    scenarios,
    popular: new RankedCounts(Float32Array.from(model.graphs.counts), lists),
    trending: new RankedCounts(trendCounts, lists),
    lists: contextLists,
    clock: deps.clock,
    graphSeq: inter.maxSeq,
    trendingSince: since,
    modelVersion: fresh ? stamp : `untrained-${stamp}`,
    bus,
    ownsBus: !deps.bus,
    cache,
    ownsCache: !deps.cache,
  });
  await bus.start(engine.busHandlers());
  return engine;
}
