/**
 * `fusionrec train`: learns the item graphs from the store's training events and fits the ranker
 * on the validation split and on cases held out from the training events themselves (held-out.ts;
 * a store of live events has no split), then saves both stamped with a hash of data and config. Seeded and
 * deterministic; resumable (the graphs are checkpointed, a rerun after an interrupt skips them).
 * On `train.threads` threads: the sequential model's gradients and the ranker fit's pools.
 */
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { seededSample as sample } from '../core/rng.ts';
import { resolveThreads } from '../core/ts-worker.ts';
import { graphOptionsOf, historiesCarryNoOrder, scenarioMap } from '../engine/create.ts';
import {
  contextWithout,
  type Interactions,
  loadCatalog,
  loadInteractions,
  sequencesOf,
} from '../engine/snapshot.ts';
import { buildProfile } from '../profile/interests.ts';
import type { HistoryEntry } from '../profile/types.ts';
import { eventWeight } from '../profile/weights.ts';
import { itemSpaceOf } from '../rank/model.ts';
import { seqOptionsOf } from '../seq/config.ts';
import { seqFeatureOf } from '../seq/feature.ts';
import {
  deleteSeqCheckpoint,
  loadSeqCheckpoint,
  loadSeqModel,
  saveSeqCheckpoint,
  saveSeqModel,
  seqStampOf,
} from '../seq/persist.ts';
import { type SeqReport, trainSeq } from '../seq/train.ts';
import type { Store, StoredEvent } from '../store/types.ts';
import { buildScoringModel } from './build-model.ts';
import { DEFAULT_FIT_OPTIONS, fitRanker, type ValidCase } from './fit-ranker.ts';
import { buildItemGraphs } from './graph.ts';
import { heldOutCases } from './held-out.ts';
import {
  dataHash,
  hashOf,
  loadGraphs,
  MODEL_FORMAT,
  MODEL_NAMESPACE,
  saveGraphs,
  saveModel,
  stampOf,
} from './model-file.ts';

export interface TrainOptions {
  /** id of the encoder whose item vectors the text features use (none: no text features) */
  encoderId?: string | undefined;
  onProgress?: (phase: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface TrainReport {
  stamp: string;
  users: number;
  items: number;
  /** fitting cases from the validation split */
  validCases: number;
  /** fitting cases held out from the training events (`train.heldOutCases`) */
  heldOutCases: number;
  validNdcg10: number;
  defaultNdcg10: number;
  resumed: boolean;
  seconds: { graphs: number; seq: number; fit: number; total: number };
  /** threads the sequential model and the ranker fit computed on (`train.threads` resolved) */
  threads: number;
  /** the sequential model (absent when `seq.enabled` is false or the histories carry no time order); `reused` = already trained for this stamp */
  seq?:
    | (Pick<SeqReport, 'epochs' | 'bestEpoch' | 'validNdcg10' | 'resumedFrom'> & { reused: boolean })
    | undefined;
  ranker: { shared: number[]; perScenario: string[]; decay: number };
}

const pickSeq = (r: SeqReport) => ({
  epochs: r.epochs,
  bestEpoch: r.bestEpoch,
  validNdcg10: r.validNdcg10,
  resumedFrom: r.resumedFrom,
});

async function validTargets(store: Store, signal?: AbortSignal): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let after: number | undefined = 0; after !== undefined; ) {
    signal?.throwIfAborted();
    const page = await store.events.scan({ afterSeq: after, limit: 20_000, splits: ['valid'] });
    out.push(...page.events);
    after = page.next;
  }
  return out;
}

export async function trainFromStore(
  store: Store,
  config: Config,
  opts: TrainOptions = {},
): Promise<TrainReport> {
  const t0 = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const cfg = config.train;
  const catalog = await loadCatalog(store, opts.encoderId);
  if (catalog.itemIds.length === 0)
    throw new RecError('NOT_FOUND', 'the store holds no items: import data first');
  const scenarios = await scenarioMap(store, config);
  const weightsOf = (s: string) => scenarios.get(s)?.eventWeights ?? {};
  const { stamp, configHash } = stampOf(await dataHash(store, catalog.itemIds), cfg);
  const stampWithText = `${stamp}-${opts.encoderId ?? 'notext'}`;
  const inter = await loadInteractions(store, catalog.index, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    onProgress: (done) => progress('read events', done, 0),
  });
  const orderFree = historiesCarryNoOrder(inter);
  const validEvents = sample(await validTargets(store, opts.signal), cfg.fitCases, cfg.seed);
  // more fitting cases from the training events: each sampled user's last positive event, which
  // leaves the graphs and the sequential model the ranker is fitted with (src/train/held-out.ts)
  // they top the split up to `train.fitCases`: a store with a large split fits as before
  const held = heldOutCases(
    inter.byUser,
    (e) => eventWeight(e, weightsOf(e.scenario)) > 0,
    Math.min(cfg.heldOutCases, Math.max(0, cfg.fitCases - validEvents.length)),
    cfg.seed,
    new Set(validEvents.map((e) => e.user)),
    (scenario) => scenarios.get(scenario)?.allowRepeats ?? false,
  );
  const fitInter: Interactions =
    held.targets.size > 0
      ? {
          ...inter,
          byUser: held.byUser,
          context: contextWithout(inter.context, held.targets.values(), catalog.index),
        }
      : inter;
  // which targets were held out: part of the stamp of everything trained without them (the fit's
  // graphs, the sequential model), so a checkpoint or model made for another set is not reused
  const heldKey = hashOf([...held.targets.values()].map((e) => e.id).sort());
  // the fit's sequences feed its graphs and the sequential model: built once, when first needed
  let fitSequences: number[][] | undefined;
  const sequencesFor = (from: Interactions) => {
    if (from !== fitInter) return sequencesOf(from, catalog.index, weightsOf);
    fitSequences ??= sequencesOf(fitInter, catalog.index, weightsOf);
    return fitSequences;
  };
  const tGraphs = Date.now();
  const graphsOf = async (key: string, from: Interactions, label: string, graphStamp: string) => {
    const stored = await loadGraphs(store, key, graphStamp);
    if (stored) return { graphs: stored, loaded: true };
    progress(label, 0, 1);
    const graphs = buildItemGraphs(
      sequencesFor(from),
      catalog.itemIds.length,
      (i) => catalog.itemScenario[i]!,
      graphOptionsOf(cfg, orderFree),
      opts.signal,
    );
    await saveGraphs(store, key, graphStamp, graphs);
    progress(label, 1, 1);
    return { graphs, loaded: false };
  };
  // the graphs the saved model serves with learn from every training event
  const final = await graphsOf('checkpoint', inter, 'item graphs', stampWithText);
  const fitGraphs =
    held.targets.size > 0
      ? await graphsOf(
          'checkpoint.fit',
          fitInter,
          'item graphs without held-out targets',
          `${stampWithText}-${heldKey}`,
        )
      : final;
  const resumed = final.loaded && fitGraphs.loaded;
  const graphSeconds = (Date.now() - tGraphs) / 1000;
  const model = buildScoringModel(catalog, [], { graphs: fitGraphs.graphs, context: fitInter.context });
  const space = itemSpaceOf(model);
  const cases: ValidCase[] = [];
  const addCase = (t: StoredEvent, events: readonly StoredEvent[]) => {
    const item = catalog.index.get(t.item);
    if (item === undefined) return;
    const before = events.filter((e) => e.ts < t.ts || (e.ts === t.ts && e.seq < t.seq));
    const history: HistoryEntry[] = [];
    for (const e of before) {
      const i = catalog.index.get(e.item);
      if (i !== undefined)
        history.push({
          item: i,
          scenario: e.scenario,
          weight: eventWeight(e, weightsOf(e.scenario)),
          ts: e.ts,
        });
    }
    const repeats = scenarios.get(t.scenario)?.allowRepeats ?? false;
    cases.push({
      profile: buildProfile(t.user, history, space, {
        maxInterests: config.engine.maxInterests,
        recencyDecay: config.engine.profileDecay,
        negativePush: config.engine.negativePush,
        maxHistory: config.engine.maxHistory,
      }),
      scenario: t.scenario,
      target: item,
      masked: new Set(repeats ? [] : history.map((h) => h.item)),
    });
  };
  for (const t of validEvents) addCase(t, inter.byUser.get(t.user) ?? []);
  const validCount = cases.length;
  for (const [user, t] of held.targets) addCase(t, held.byUser.get(user) ?? []);
  const tSeq = Date.now();
  let seqInfo: TrainReport['seq'];
  // a sequential model learns what follows what: histories without a time order have nothing for it
  if (config.seq.enabled && !orderFree) {
    const seqStamp = seqStampOf(`${stamp}-${heldKey}`, config.seq, cfg.seed, opts.encoderId);
    const valid = cases.map((c) => ({
      hist: c.profile.history.filter((h) => h.weight > 0).map((h) => h.item),
      target: c.target,
    }));
    const stored = await loadSeqModel(store, seqStamp);
    if (stored) {
      model.seq = seqFeatureOf(stored.model, valid, stored.featureScale);
      seqInfo = { ...pickSeq(stored.model.report), reused: true };
    } else {
      const resume = await loadSeqCheckpoint(store, seqStamp);
      const trained = await trainSeq(
        {
          numItems: model.numItems,
          itemScenario: model.scenarioCode,
          numScenarios: model.scenarios.length,
          text: model.dim > 0 ? { dim: model.dim, data: model.vectors } : undefined,
          // without the held-out targets: the ranker weighs this model's score on them
          sequences: sequencesFor(fitInter).filter((q) => q.length > 1),
          valid,
        },
        seqOptionsOf(config.seq, cfg.seed, cfg.threads),
        {
          onProgress: (d, n, label) => progress(label, d, n),
          ...(opts.signal ? { signal: opts.signal } : {}),
          resume,
          onEpoch: (c) => saveSeqCheckpoint(store, seqStamp, c),
        },
      );
      model.seq = seqFeatureOf(trained, valid);
      await saveSeqModel(store, seqStamp, trained, model.seq.scale);
      await deleteSeqCheckpoint(store);
      seqInfo = { ...pickSeq(trained.report), reused: false };
    }
  }
  const seqSeconds = (Date.now() - tSeq) / 1000;
  const tFit = Date.now();
  const fit =
    cases.length > 0
      ? await fitRanker(model, cases, {
          ...DEFAULT_FIT_OPTIONS,
          threads: cfg.threads,
          decays: cfg.decays,
          onProgress: (d, n) => progress('ranker fit', d, n),
          ...(opts.signal ? { signal: opts.signal } : {}),
        })
      : { ranker: model.ranker, validNdcg: 0, defaultNdcg: 0 };
  const fitSeconds = (Date.now() - tFit) / 1000;
  const seconds = (Date.now() - t0) / 1000;
  await saveModel(store, {
    header: {
      format: MODEL_FORMAT,
      stamp,
      dataHash: stamp.split('-')[1]!,
      configHash,
      itemIds: catalog.itemIds,
      ranker: fit.ranker,
      trainedAt: new Date().toISOString(),
      validNdcg10: fit.validNdcg,
      seconds,
    },
    graphs: final.graphs,
  });
  const stale = (await store.blobs.keys(MODEL_NAMESPACE)).filter((k) => k.startsWith('checkpoint.'));
  await store.blobs.delete(MODEL_NAMESPACE, stale);
  return {
    stamp,
    users: inter.byUser.size,
    items: catalog.itemIds.length,
    validCases: validCount,
    heldOutCases: cases.length - validCount,
    validNdcg10: fit.validNdcg,
    defaultNdcg10: fit.defaultNdcg,
    resumed,
    seconds: { graphs: graphSeconds, seq: seqSeconds, fit: fitSeconds, total: seconds },
    threads: resolveThreads(cfg.threads),
    seq: seqInfo,
    ranker: {
      shared: fit.ranker.shared,
      perScenario: Object.keys(fit.ranker.perScenario),
      decay: fit.ranker.decay,
    },
  };
}
