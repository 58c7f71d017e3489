/**
 * Composition root: the only place that picks implementations. `createComponents` gives every
 * component its default from the config (store by URL, encoder by provider, vector index, the
 * retrievers, the generative model, the event bus by `bus.url`, the shared cache by `cache.url`),
 * each replaceable by an explicit override; `createEngine`
 * reads the catalog and item vectors, takes the active model version when it matches the config
 * and catalog (else rebuilds the signals from the store, or refuses with MODEL_STALE), folds in
 * the events since (from the boot snapshot where there is one, boot.ts), and wires profiles,
 * retrievers, ranker and re-ranker into an Engine that swaps to a newly activated version.
 */

import { LocalBus } from '../bus/local.ts';
import { openNatsBus } from '../bus/nats.ts';
import type { EventBus } from '../bus/types.ts';
import { openRedisCache } from '../cache/redis.ts';
import { NO_CACHE, type SharedCache } from '../cache/types.ts';
import type { Config } from '../config/schema.ts';
import type { Scenario } from '../core/types.ts';
import { createEncoder } from '../encode/create.ts';
import type { Encoder } from '../encode/types.ts';
import { createGenerator } from '../generate/create.ts';
import type { Generator } from '../generate/types.ts';
import { createVectorIndex, type VectorIndexFactory } from '../index/create.ts';
import { buildScoringModel } from '../model/build.ts';
import { seqBaseStamp } from '../model/file.ts';
import { type RankerWeights, type ScoringModel, weightOf } from '../model/scoring.ts';
import { loadActiveModel, seqPrefixOf } from '../model/versions.ts';
import { defaultRetrievers, type RetrieverFactory } from '../retrieve/registry.ts';
import { seqFeatureOf } from '../seq/feature.ts';
import { loadSeqModel, seqStampOf } from '../seq/persist.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import {
  type BootInputs,
  type BootReport,
  bootState,
  listLogOf,
  readSnapshot,
  refreshSnapshot,
  trendingCounts,
  trendingSince,
} from './boot.ts';
import { indexStamp, loadIndices, saveIndices } from './boot-index.ts';
import { ContextLists } from './context-lists.ts';
import { FusionEngine } from './engine.ts';
import { ErasedUsers } from './erased.ts';
import { graphOptionsOf, historiesCarryNoOrder } from './graph-options.ts';
import type { ListLog } from './list-log.ts';
import { RankedCounts } from './lists.ts';
import { modelFreshness } from './model-fresh.ts';
import { loadCatalog, loadInteractions, userSequencesOf } from './snapshot.ts';
import { type Generation, SwappableEngine } from './swap.ts';
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
  /** the time each step of building the engine took (bench/boot.ts) */
  onBootPhase?: (phase: string, ms: number) => void;
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
  /** users erased while this process runs: the bus's writer and the impression log consult it */
  erased: ErasedUsers;
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
    encoder =
      o.encoder === undefined ? await createEncoder(config.encoder, { blobs: store.blobs }) : o.encoder;
  } catch (e) {
    if (!o.store) await store.close();
    throw e;
  }
  let generator: Generator | null | undefined = o.generator;
  let madeGenerator = false;
  let bus: Promise<EventBus> | undefined = o.bus && Promise.resolve(o.bus);
  let cache: Promise<SharedCache> | undefined = o.cache && Promise.resolve(o.cache);
  const erased = new ErasedUsers();
  return {
    erased,
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
      bus ??= config.bus.url
        ? openNatsBus({ ...config.bus, store, erased })
        : Promise.resolve(new LocalBus(store));
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
 * only those it made. It serves the store's active model version and swaps to another one, built
 * off to the side, when one is activated (swap.ts); `engine.modelPollSeconds` sets how often it
 * looks.
 */
export async function createEngine(config: Config, deps: EngineDeps = {}): Promise<Engine> {
  // the engine's generator writes summaries and sentences and scores review text: none is made when all are off
  const wanted = config.generator.summaries || config.generator.explain || config.generator.sentiment;
  const parts = await createComponents(config, wanted ? deps : { ...deps, generator: null });
  const warn = deps.onWarning ?? ((m: string) => console.warn(`warning: ${m}`));
  try {
    const build = () => assemble(config, parts, deps, warn);
    const engine = new SwappableEngine({
      first: await build(),
      build,
      store: parts.store,
      pollSeconds: config.engine.modelPollSeconds,
      snapshotSeconds: config.engine.snapshotSeconds,
      snapshotEvents: config.engine.snapshotEvents,
      warn,
      close: () => parts.close(),
    });
    // the bus delivers to whichever generation serves; started once the first has loaded its state
    await (await parts.bus()).start(engine.busHandlers());
    return engine;
  } catch (e) {
    await parts.close();
    throw e;
  }
}

/** `p`, whose rejection is not unhandled if the boot fails before awaiting it */
function handledLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

async function assemble(
  config: Config,
  parts: Components,
  deps: EngineDeps,
  warn: (m: string) => void,
): Promise<Generation> {
  const phase = phaseTimer(deps.onBootPhase);
  const { store } = parts;
  const encoder = parts.encoder ?? undefined;
  // before the store is read: a clustered bus notes what the store already holds
  const bus = await parts.bus();
  const cache = await parts.cache();
  // the model and the boot snapshot are read while the catalog is: a remote store's transfers and
  // its server's reads then overlap the catalog's CPU work (a snapshot that goes unused costs a read)
  const modelRead = handledLater(loadActiveModel(store));
  const snapshotRead = handledLater(readSnapshot(store));
  const catalog = await loadCatalog(store, encoder?.id, {
    saveVectors: config.engine.snapshotEvents > 0,
    titleWords: config.train.attrTitleWords,
  });
  const scenarios = await scenarioMap(store, config);
  await phase(catalog.vectorsFrom === 'none' ? 'catalog' : `catalog (vectors: ${catalog.vectorsFrom})`);
  const trained = await modelRead;
  await phase('model');
  const { fresh, currentStamp } = await modelFreshness(store, config, trained, catalog.itemIds, warn);
  const weightsOf = (s: string) => scenarios.get(s)?.eventWeights ?? {};
  const switches = { useText: true, useContext: config.train.context, useIds: config.train.ids };
  let model: ScoringModel;
  let trendCounts: Float32Array;
  let lastSeq: number;
  /** the last event the item graphs were built from, and the start of the trending window (forget.ts) */
  let graphSeq: number;
  let since: number;
  let refresh: Generation['refresh'];
  let boot: BootReport | undefined;
  let listLog: ListLog;
  if (fresh && trained) {
    const inputs: BootInputs = {
      version: trained.version,
      // an unversioned model's counts are its own: nothing after it is added to them
      modelLastSeq: trained.record?.lastSeq ?? Number.MAX_SAFE_INTEGER,
      modelCounts: trained.graphs.counts,
      itemIds: catalog.itemIds,
      index: catalog.index,
      weights: Object.fromEntries([...scenarios].map(([id, s]) => [id, s.eventWeights ?? {}])),
      useContext: config.train.context,
      trendingDays: config.engine.trendingDays,
    };
    const got = await bootState(store, inputs, {
      saveAfter: config.engine.snapshotEvents,
      read: snapshotRead,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    boot = got.report;
    await phase(`events (${got.report.from}, ${got.report.folded} folded)`);
    model = buildScoringModel(catalog, [], {
      switches,
      graphs: { ...trained.graphs, counts: got.state.counts },
    });
    if (config.train.context) model.context = got.state.context;
    trendCounts = trendingCounts(got.state, model.numItems, config.engine.trendingDays);
    lastSeq = got.state.lastSeq;
    listLog = got.state.lists;
    graphSeq = Math.min(inputs.modelLastSeq, lastSeq);
    since = trendingSince(got.state, config.engine.trendingDays);
    refresh = () => refreshSnapshot(store, inputs, config.engine.snapshotEvents);
  } else {
    const inter = await loadInteractions(store, catalog.index, deps.signal ? { signal: deps.signal } : {});
    await phase('events (whole log)');
    const graph = graphOptionsOf(config.train, historiesCarryNoOrder(inter));
    const { sequences, users } = userSequencesOf(inter, catalog.index, weightsOf);
    model = buildScoringModel(catalog, sequences, {
      // the latent model only where the ranker served weighs it (the default weights do not)
      graph: weighsLatent(trained?.header.ranker) ? graph : { ...graph, als: { ...graph.als, factors: 0 } },
      context: inter.context,
      switches,
      users,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    since = inter.maxTs - config.engine.trendingDays * 86_400_000;
    trendCounts = new Float32Array(model.numItems);
    for (const list of inter.byUser.values()) {
      for (const e of list) if (e.ts >= since) trendCounts[catalog.index.get(e.item)!]! += 1;
    }
    lastSeq = inter.lastSeq;
    graphSeq = lastSeq;
    listLog = listLogOf(inter, catalog.index, weightsOf);
  }
  if (trained) model.ranker = trained.header.ranker;
  if (config.seq.enabled) {
    // the sequential model is stamped with its engine model's stamp: a stale one is not used
    const stampOfSeq = (s: string) =>
      seqStampOf(seqBaseStamp(s, config.train), config.seq, config.train, encoder?.id);
    const seq = fresh
      ? await loadSeqModel(
          store,
          stampOfSeq(trained!.header.stamp),
          trained!.record ? seqPrefixOf(trained!.version) : undefined,
        )
      : await loadSeqModel(store, stampOfSeq(await currentStamp()));
    if (seq && seq.model.shape.numItems === model.numItems)
      model.seq = seqFeatureOf(seq.models, [], config.train.seqFused, seq.featureScale);
  }
  await phase('model build');
  // the vector indices: read back from the boot snapshot when it holds the ones this boot would build
  const indexKey =
    model.dim > 0 && encoder
      ? indexStamp({
          encoder: encoder.id,
          itemIds: catalog.itemIds,
          vectors: model.vectors,
          available: catalog.available,
          settings: { exact: config.engine.exactSearchBelow, expansion: config.engine.searchExpansion },
        })
      : undefined;
  const indexed = (code: number) =>
    (model.scenarioItems[code] ?? []).filter((i) => model.hasVector[i] && catalog.available[i]).length;
  const savedIndices = indexKey
    ? await loadIndices(store, indexKey, (code) => parts.vectorIndex(model.dim, indexed(code)))
    : undefined;
  const lists = () => model.scenarioItems;
  const contextLists = new ContextLists(config.engine.lists);
  for (let i = 0; i < catalog.itemIds.length; i++) contextLists.setCreated(i, catalog.facts.createdAtOf(i));
  contextLists.load(listLog, model.scenarioCode);
  await phase('context lists');
  const engine = new FusionEngine({
    config,
    store,
    // the components are closed by createEngine's engine, after the last generation
    ownsStore: false,
    encoder,
    ownsEncoder: false,
    generator: parts.generator() ?? undefined,
    ownsGenerator: false,
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
    graphSeq,
    trendingSince: since,
    modelVersion: fresh ? trained!.version : `untrained-${await currentStamp()}`,
    vectorIndices: savedIndices,
    // the bus and the cache outlive generations: createEngine starts the bus once, for whichever serves
    bus,
    ownsBus: false,
    erased: parts.erased,
    cache,
    ownsCache: false,
  });
  await phase(savedIndices ? 'vector indices (read back)' : 'vector indices');
  if (indexKey && !savedIndices && config.engine.snapshotEvents > 0) {
    await saveIndices(store, indexKey, engine.vectorIndices);
    await phase('vector indices saved');
  }
  return {
    engine,
    version: fresh ? trained!.version : undefined,
    seen: trained?.version,
    lastSeq,
    refresh,
    boot,
  };
}

/**
 * Reports the time since the previous call under each phase's name, then yields to the event loop:
 * a server building the next version off to the side keeps answering between the steps.
 */
function phaseTimer(on: ((phase: string, ms: number) => void) | undefined): (name: string) => Promise<void> {
  let at = performance.now();
  return async (name) => {
    const now = performance.now();
    on?.(name, now - at);
    await new Promise((r) => setImmediate(r));
    at = performance.now();
  };
}

/** whether any weights of a ranker read the latent model's features */
function weighsLatent(r: RankerWeights | undefined): boolean {
  if (!r) return false;
  return [r.shared, ...Object.values(r.perScenario)].some(
    (w) => weightOf(w, 'als') !== 0 || weightOf(w, 'alsFused') !== 0,
  );
}
