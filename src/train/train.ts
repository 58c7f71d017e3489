/**
 * The training pipeline, `fusionrec train` and the evaluation's engine alike: learns the item
 * graphs from the store's training events (their settings chosen on the fitting cases when
 * `train.tuneGraph` is on, train-graphs.ts), the sequential model, and fits the ranker on the
 * validation split and on cases held out from the training events themselves (held-out.ts; a
 * store of live events has no split), then saves the model as a new version stamped with a hash of
 * data and config and activates it, where `createEngine` and running servers find it
 * (src/model/versions.ts; the oldest beyond `train.keepVersions` are deleted). Seeded and deterministic; resumable (the graphs are checkpointed,
 * a rerun after an interrupt skips them). On `train.threads` threads: the sequential model's
 * gradients and the ranker fit's pools.
 */

import type { TrainConfig } from '../config/engine.ts';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { resolveThreads } from '../core/ts-worker.ts';
import { scenarioMap } from '../engine/create.ts';
import { runningVersions } from '../engine/experiments.ts';
import { graphOptionsOf, historiesCarryNoOrder } from '../engine/graph-options.ts';
import {
  contextWithout,
  type Interactions,
  loadCatalog,
  loadInteractions,
  userSequencesOf,
} from '../engine/snapshot.ts';
import { attributeVectors, curatedTokens } from '../model/attr-tokens.ts';
import { buildScoringModel, type ModelSwitches } from '../model/build.ts';
import { dataHash, hashOf, MODEL_FORMAT, MODEL_NAMESPACE, seqBaseStamp, stampOf } from '../model/file.ts';
import { itemSpaceOf } from '../model/scoring.ts';
import {
  activateVersion,
  type ModelVersion,
  newVersionId,
  pruneVersions,
  saveVersion,
  seqPrefixOf,
} from '../model/versions.ts';
import { eventWeight } from '../profile/weights.ts';
import { seqOptionsOf } from '../seq/config.ts';
import { seqFeatureOf } from '../seq/feature.ts';
import { loadSeqModel, saveSeqModel, seqStampOf } from '../seq/persist.ts';
import type { SeqReport } from '../seq/train.ts';
import type { Store, StoredEvent } from '../store/types.ts';
import type { CrossCheck } from './fit/accept.ts';
import { type FitCase, fitCaseOf, fittingCopies, perScenario, profileCases } from './fit-cases.ts';
import { DEFAULT_FIT_OPTIONS, type FitResult, fitRanker } from './fit-ranker.ts';
import { fitTargets } from './held-out.ts';
import { deleteSeqParts, trainSeqMembers } from './seq-members.ts';
import { type GraphSettings, graphStage } from './train-graphs.ts';

export interface TrainOptions {
  /** id of the encoder whose item vectors the text features use (none: no text features) */
  encoderId?: string | undefined;
  onProgress?: (phase: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface TrainReport {
  stamp: string;
  /** the model version this training wrote and activated (src/model/versions.ts) */
  version: string;
  users: number;
  items: number;
  /** fitting cases from the validation split */
  validCases: number;
  /** fitting cases held out from the training events (`train.heldOutCases`) */
  heldOutCases: number;
  validNdcg10: number;
  defaultNdcg10: number;
  resumed: boolean;
  /** the histories carry no time order: co-occurrence over whole histories, no sequential model */
  wholeHistory: boolean;
  seconds: { graphs: number; seq: number; fit: number; total: number };
  /** threads the sequential model and the ranker fit computed on (`train.threads` resolved) */
  threads: number;
  /** the sequential model (absent when `seq.enabled` is false or the histories carry no time order); `reused` = already trained for this stamp */
  seq?:
    | (Pick<
        SeqReport,
        | 'epochs'
        | 'bestEpoch'
        | 'validNdcg10'
        | 'resumedFrom'
        | 'averagedEpochs'
        | 'negatives'
        | 'members'
        | 'ensembleValidNdcg10'
      > & {
        reused: boolean;
      })
    | undefined;
  ranker: { shared: number[]; perScenario: string[]; decay: number };
  /**
   * The full-ranking check of the cross-scenario weights per scenario, `shared` and history bucket
   * (fitting and check cases, NDCG@10 without and with them, kept or `undecided`; see FitResult)
   */
  crossCheck: CrossCheck;
  /** per scenario and `scenario|bucket`: the cases the cross-scenario weights were fitted and checked on */
  fitSplit: FitResult['split'];
  /** the item graphs' settings chosen on the fitting cases (`train.tuneGraph`; absent when resumed) */
  graph?: GraphSettings | undefined;
}

/** which signals the model learns and uses (`train.context`, `train.ids`; text = an encoder) */
function switchesOf(cfg: TrainConfig): ModelSwitches {
  return { useText: true, useContext: cfg.context, useIds: cfg.ids };
}

const pickSeq = (r: SeqReport) => ({
  epochs: r.epochs,
  bestEpoch: r.bestEpoch,
  validNdcg10: r.validNdcg10,
  resumedFrom: r.resumedFrom,
  averagedEpochs: r.averagedEpochs,
  ...(r.negatives !== undefined ? { negatives: r.negatives } : {}),
  ...(r.members !== undefined ? { members: r.members } : {}),
  ...(r.ensembleValidNdcg10 !== undefined ? { ensembleValidNdcg10: r.ensembleValidNdcg10 } : {}),
});

async function validTargets(store: Store, signal?: AbortSignal): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const page of store.events.pages({
    limit: 20_000,
    splits: ['valid'],
    ...(signal ? { signal } : {}),
  }))
    out.push(...page);
  return out;
}

const INPUT_SPLITS: readonly (string | undefined)[] = ['valid_input', 'test_input'];

/** the interactions without the held-out users' request-time histories (`train.inputHistories` off) */
function withoutInputHistories(inter: Interactions, index: ReadonlyMap<string, number>): Interactions {
  const byUser = new Map<string, StoredEvent[]>();
  const dropped: StoredEvent[] = [];
  for (const [user, list] of inter.byUser) {
    const kept = list.filter((e) => !INPUT_SPLITS.includes(e.split));
    if (kept.length < list.length) dropped.push(...list.filter((e) => INPUT_SPLITS.includes(e.split)));
    if (kept.length > 0) byUser.set(user, kept);
  }
  if (dropped.length === 0) return inter;
  return { ...inter, byUser, context: contextWithout(inter.context, dropped, index) };
}

export async function trainFromStore(
  store: Store,
  config: Config,
  opts: TrainOptions = {},
): Promise<TrainReport> {
  const t0 = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const cfg = config.train;
  const catalog = await loadCatalog(store, opts.encoderId, { titleWords: cfg.attrTitleWords });
  if (catalog.itemIds.length === 0)
    throw new RecError('NOT_FOUND', 'the store holds no items: import data first');
  const scenarios = await scenarioMap(store, config);
  const weightsOf = (s: string) => scenarios.get(s)?.eventWeights ?? {};
  const allowsRepeats = (s: string) => scenarios.get(s)?.allowRepeats ?? false;
  const { stamp, configHash } = stampOf(await dataHash(store, catalog.itemIds), cfg);
  const stampWithText = `${stamp}-${opts.encoderId ?? 'notext'}`;
  const read = await loadInteractions(store, catalog.index, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    onProgress: (done) => progress('read events', done, 0),
  });
  // what the model learns from; the fitting cases' histories are read from everything
  const inter = cfg.inputHistories ? read : withoutInputHistories(read, catalog.index);
  const orderFree = historiesCarryNoOrder(inter);
  // the held-out targets leave the graphs and the sequential model the ranker is fitted with
  const {
    valid: validEvents,
    held,
    spare,
  } = fitTargets(await validTargets(store, opts.signal), inter.byUser, {
    fitCases: cfg.fitCases,
    heldOutCases: cfg.heldOutCases,
    seed: cfg.seed,
    positive: (e) => eventWeight(e, weightsOf(e.scenario)) > 0,
    allowsRepeats,
    orderFree,
  });
  const fitInter: Interactions =
    held.targets.length > 0
      ? {
          ...inter,
          byUser: held.byUser,
          context: contextWithout(inter.context, held.targets, catalog.index),
        }
      : inter;
  // which targets were held out: part of the stamp of the fit's graphs, so a checkpoint made for
  // another set is not reused
  const heldKey = hashOf(held.targets.map((e) => e.id).sort());
  const caseOpts = { index: catalog.index, weightsOf, allowsRepeats, alone: !cfg.fusion, orderFree };
  const fitCases: FitCase[] = [];
  for (const t of validEvents) {
    const c = fitCaseOf(t, read.byUser.get(t.user) ?? [], caseOpts);
    if (c) fitCases.push(c);
  }
  const validCount = fitCases.length;
  // a user's other held-out targets stay in their case's history: the user has them, only the
  // graphs and the sequential model must not learn from them
  for (const t of held.targets) {
    const c = fitCaseOf(t, inter.byUser.get(t.user) ?? [], caseOpts);
    if (c) fitCases.push(c);
  }
  // the fit's sequences feed its graphs and the sequential model: built once, when first needed
  let fitSequences: { sequences: number[][]; users: string[] } | undefined;
  const fitOf = () => {
    fitSequences ??= userSequencesOf(fitInter, catalog.index, weightsOf);
    return fitSequences;
  };
  const fitSeqs = () => fitOf().sequences;
  let allSequences: { sequences: number[][]; users: string[] } | undefined;
  const allOf = () => {
    allSequences ??= userSequencesOf(inter, catalog.index, weightsOf);
    return allSequences;
  };
  const tGraphs = Date.now();
  const graphs = await graphStage(
    {
      store,
      cfg,
      numItems: catalog.itemIds.length,
      scenarioOf: (i) => catalog.itemScenario[i]!,
      base: { ...graphOptionsOf(cfg, orderFree), crossScenario: cfg.crossScenario && cfg.fusion },
      fitSequences: fitSeqs,
      allSequences: held.targets.length > 0 ? () => allOf().sequences : undefined,
      fitUsers: () => fitOf().users,
      allUsers: () => allOf().users,
      cases: fitCases,
      fitStamp: `${stampWithText}-${heldKey}`,
      finalStamp: stampWithText,
      progress,
      signal: opts.signal,
    },
    { tokens: catalog.attrTokens, itemScenario: catalog.itemScenario, threads: resolveThreads(cfg.threads) },
  );
  const graphSeconds = (Date.now() - tGraphs) / 1000;
  const model = buildScoringModel(catalog, [], {
    graphs: graphs.fit,
    context: fitInter.context,
    switches: switchesOf(cfg),
  });
  const cases = profileCases(fitCases, itemSpaceOf(model), config);
  const tSeq = Date.now();
  let seqInfo: TrainReport['seq'];
  const version = newVersionId();
  let seqStampSaved: string | undefined;
  // a sequential model learns what follows what: histories without a time order have nothing for it;
  // without ids (the ablation) an item is its text, and without text there is nothing to learn
  // the item content the model reads: language-model vectors, else (`seq.metadata`) the curated
  // metadata's (a title's words feed the attribute graph only)
  const seqText =
    !config.seq.enabled || orderFree
      ? undefined
      : model.dim > 0
        ? { dim: model.dim, data: model.vectors }
        : config.seq.metadata
          ? attributeVectors(catalog.attrTokens.map(curatedTokens), catalog.itemScenario)
          : undefined;
  const seqInput = cfg.ids || (seqText !== undefined && config.seq.textDim > 0);
  if (config.seq.enabled && !orderFree && seqInput) {
    // the stamp `createEngine` looks the model up by; the held-out set follows from data and config
    const seqStamp = seqStampOf(seqBaseStamp(stamp, cfg), config.seq, cfg, opts.encoderId);
    const valid = cases.map((c) => ({
      hist: c.profile.history.filter((h) => h.weight > 0).map((h) => h.item),
      target: c.target,
    }));
    // the cases the model is stopped on: the fitting cases, or validation targets the ranker never
    // sees (`seq.stopOn: apart`, where the split holds enough of them)
    const apart =
      config.seq.stopOn === 'apart' && spare.length >= config.seq.validCases
        ? spare.flatMap((t) => {
            const c = fitCaseOf(t, read.byUser.get(t.user) ?? [], caseOpts);
            return c
              ? [{ hist: c.history.filter((h) => h.weight > 0).map((h) => h.item), target: c.target }]
              : [];
          })
        : undefined;
    const stored = await loadSeqModel(store, seqStamp);
    if (stored) {
      model.seq = seqFeatureOf(stored.models, valid, cfg.seqFused, stored.featureScale);
      await saveSeqModel(store, seqStamp, stored.models, stored.featureScale, seqPrefixOf(version));
      seqInfo = { ...pickSeq(stored.model.report), reused: true };
    } else {
      // without the held-out targets: the ranker weighs this model's score on them
      const sequences = cfg.fusion ? fitSeqs() : perScenario(fitSeqs(), catalog.itemScenario);
      const trained = await trainSeqMembers(
        store,
        seqStamp,
        {
          numItems: model.numItems,
          itemScenario: model.scenarioCode,
          numScenarios: model.scenarios.length,
          text: seqText,
          sequences: sequences.filter((q) => q.length > 1),
          valid: apart ?? valid,
          ids: cfg.ids,
        },
        seqOptionsOf(config.seq, cfg.seed, cfg.threads),
        {
          onProgress: (d, n, label) => progress(label, d, n),
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
      );
      model.seq = seqFeatureOf(trained, valid, cfg.seqFused);
      await saveSeqModel(store, seqStamp, trained, model.seq.scale);
      await saveSeqModel(store, seqStamp, trained, model.seq.scale, seqPrefixOf(version));
      await deleteSeqParts(store);
      seqInfo = { ...pickSeq(trained[0]!.report), reused: false };
    }
    seqStampSaved = seqStamp;
  }
  const seqSeconds = (Date.now() - tSeq) / 1000;
  const tFit = Date.now();
  const copied = profileCases(
    fittingCopies(fitCases, cfg, model.scenarios.length),
    itemSpaceOf(model),
    config,
  ).map((c) => ({ ...c, copy: true as const }));
  const fit =
    cases.length > 0
      ? await fitRanker(model, [...cases, ...copied], {
          ...DEFAULT_FIT_OPTIONS,
          threads: cfg.threads,
          decays: cfg.decays,
          seed: cfg.seed,
          bags: cfg.fitBags,
          // each step of the fit counts its own work (pools per case, decays, check cases): a
          // phase of its own, so one step's count never reads against another's total
          onProgress: (d, n, label) =>
            progress(label === 'ranker fit' ? label : `ranker fit: ${label}`, d, n),
          ...(opts.signal ? { signal: opts.signal } : {}),
        })
      : { ranker: model.ranker, validNdcg: 0, defaultNdcg: 0, crossCheck: {}, split: {} };
  const fitSeconds = (Date.now() - tFit) / 1000;
  const seconds = (Date.now() - t0) / 1000;
  const header = {
    format: MODEL_FORMAT,
    stamp,
    dataHash: stamp.split('-')[1]!,
    configHash,
    itemIds: catalog.itemIds,
    ranker: fit.ranker,
    trainedAt: new Date().toISOString(),
    validNdcg10: fit.validNdcg,
    seconds,
  };
  const record: ModelVersion = {
    version,
    createdAt: header.trainedAt,
    stamp,
    dataHash: header.dataHash,
    configHash,
    lastSeq: read.lastSeq,
    metrics: {
      validNdcg10: fit.validNdcg,
      defaultNdcg10: fit.defaultNdcg,
      validCases: validCount,
      heldOutCases: cases.length - validCount,
    },
    trainingSeconds: seconds,
    users: inter.byUser.size,
    items: catalog.itemIds.length,
    encoder: opts.encoderId ?? 'notext',
    seqStamp: seqStampSaved,
  };
  await saveVersion(store, record, { header, graphs: graphs.final });
  await activateVersion(store, version);
  await pruneVersions(store, cfg.keepVersions, await runningVersions(store));
  const stale = (await store.blobs.keys(MODEL_NAMESPACE)).filter((k) => k.startsWith('checkpoint.'));
  await store.blobs.delete(MODEL_NAMESPACE, stale);
  return {
    stamp,
    version,
    users: inter.byUser.size,
    items: catalog.itemIds.length,
    validCases: validCount,
    heldOutCases: cases.length - validCount,
    validNdcg10: fit.validNdcg,
    defaultNdcg10: fit.defaultNdcg,
    resumed: graphs.resumed,
    wholeHistory: graphOptionsOf(cfg, orderFree).wholeHistory,
    seconds: { graphs: graphSeconds, seq: seqSeconds, fit: fitSeconds, total: seconds },
    threads: resolveThreads(cfg.threads),
    seq: seqInfo,
    ranker: {
      shared: fit.ranker.shared,
      perScenario: Object.keys(fit.ranker.perScenario),
      decay: fit.ranker.decay,
    },
    graph: graphs.settings,
    crossCheck: fit.crossCheck,
    fitSplit: fit.split,
  };
}
