/**
 * One evaluation run from a store to a results object: load the protocol's data, evaluate the
 * named models in turn, assemble the documented JSON. An abort (SIGINT) between or inside models
 * keeps what finished and marks the run interrupted.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import type { Store } from '../store/types.ts';
import { compareModels } from './compare.ts';
import { type DatasetName, type LoadOptions, loadEvalData, type ProtocolSpec } from './dataset.ts';
import { Harness, SLICE_DEFINITIONS } from './harness.ts';
import { type FoldUsers, kfoldSets, mergeFoldCases, mergeFoldResults } from './kfold.ts';
import { releaseDataStores } from './models/engine-store.ts';
import { MODELS } from './models/index.ts';
import { type CaseInfo, type EvalResult, type ModelResult, RESULT_SCHEMA_VERSION } from './schema.ts';
import type { ModelEntry } from './types.ts';

export interface RunOptions extends LoadOptions {
  models: string[];
  /** extra models (e.g. the engine and its ablations) beside the registry, by name */
  extraModels?: Record<string, ModelEntry>;
  configHash: string;
  command: string;
  tuneCases?: number;
  /** most epochs of the sequential model */
  seqEpochs?: number;
  /** the run's configuration: the engine trains and serves with it (its seed: `seed`) */
  config?: Config;
  /** record the top this-many item ids of every case (ModelResult.ranked); 0 = none */
  rankedIds?: number;
  /** [model, baseline] pairs to compare on the same cases; default: every model against the first */
  compare?: [string, string][];
  /**
   * > 1: the k-fold protocol (src/eval/kfold.ts) instead of the dataset's test users: the
   * qualifying training users in this many folds, each fold's last items held out; `maxUsers`
   * then caps each fold's test cases
   */
  folds?: number;
  /** k-fold: whether a fold's users stay in its training data (`seen`, default) or leave it whole */
  foldUsers?: FoldUsers;
  /** k-fold: rank the no-target-history variants too (the official protocol always does) */
  noTargetHistory?: boolean;
  onProgress?: (label: string, done: number, total: number) => void;
}

export async function runEvaluation(
  store: Store,
  dataset: DatasetName,
  opts: RunOptions,
): Promise<EvalResult> {
  try {
    return await evaluate(store, dataset, opts);
  } finally {
    // the store the engine models of the last data shared
    await releaseDataStores();
  }
}

async function evaluate(store: Store, dataset: DatasetName, opts: RunOptions): Promise<EvalResult> {
  const registry = { ...MODELS, ...opts.extraModels };
  for (const name of [...opts.models, ...(opts.compare ?? []).flat()]) {
    if (!registry[name] || !opts.models.includes(name)) {
      throw new RecError(
        'INVALID_INPUT',
        registry[name]
          ? `model "${name}" is compared but not evaluated: add it to models`
          : `unknown model "${name}"; known: ${Object.keys(registry).join(', ')}`,
        {
          field: opts.models.includes(name) ? 'models' : 'compare',
        },
      );
    }
  }
  const t0 = performance.now();
  const kfold = opts.folds !== undefined && opts.folds > 1;
  const { maxUsers: _perFold, ...loadOpts } = opts;
  const set = await loadEvalData(store, dataset, kfold ? loadOpts : opts);
  const loadMs = performance.now() - t0;
  // a split drawn in memory (lastfm-2k, a k-fold's fold) or a filtered event type is not the
  // store's: the engine then trains on a store written from the data (src/eval/models/engine-store.ts)
  const storeIsSplit = !kfold && !set.protocol.holdout && !set.protocol.interactionTypes;
  const sets = kfold
    ? kfoldSets(set, opts.folds!, opts.seed, opts.maxUsers, opts.foldUsers).map((f, i) => ({
        ...f.set,
        fold: i + 1,
      }))
    : [{ ...set, fold: 0 }];
  // a store written from the data carries the source store's scenarios (an importer's event
  // weights), so the engine trains on it as `fusionrec train` would on the source; every protocol
  // here ranks items outside the user's history (it is masked, the targets are new items), so the
  // engine under test is configured for that: no scenario recommends repeats, and its fitting
  // cases mask the history as the ranking does
  const scenarios = storeIsSplit
    ? []
    : (await store.scenarios.list()).map((s) => ({ ...s, allowRepeats: false }));
  const perModel = new Map<string, ModelResult[]>(opts.models.map((m) => [m, []]));
  const cases: CaseInfo[][] = [];
  let harness: Harness | undefined;
  let interrupted = false;
  for (const fold of sets) {
    const label = (l: string) => (kfold ? `fold ${fold.fold}/${sets.length} ${l}` : l);
    harness = new Harness(fold, {
      seed: opts.seed,
      ...(storeIsSplit ? { store } : {}),
      ...(scenarios.length > 0 ? { scenarios } : {}),
      ...(opts.config ? { config: protocolConfig(opts.config, set.protocol) } : {}),
      ...(opts.rankedIds ? { rankedIds: opts.rankedIds } : {}),
      ...(opts.tuneCases !== undefined ? { tuneCases: opts.tuneCases } : {}),
      ...(opts.seqEpochs !== undefined ? { seqEpochs: opts.seqEpochs } : {}),
      // the k-fold run is for the paired gain on all cases: the slice variant doubles its scoring
      ...(kfold && !opts.noTargetHistory ? { noTargetHistory: false } : {}),
      ...(opts.onProgress ? { onProgress: (l, d, t) => opts.onProgress!(label(l), d, t) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    for (const name of opts.models) {
      try {
        perModel.get(name)!.push(await harness.evaluate(name, registry[name]!));
      } catch (e) {
        if (opts.signal?.aborted) {
          interrupted = true;
          break;
        }
        throw e;
      }
    }
    // an interrupted fold is dropped; the official run keeps the models that finished
    if (interrupted && kfold) break;
    cases.push(harness.caseInfo());
    if (interrupted) break;
  }
  // an interrupted k-fold run keeps the folds every model finished
  const done = kfold ? cases.length : 1;
  const models = [...perModel.values()]
    .filter((r) => done > 0 && r.length >= done)
    .map((r) => (kfold ? mergeFoldResults(r.slice(0, done)) : r[0]!));
  const slices = new Set(models.flatMap((m) => m.groups.map((g) => g.slice)));
  const { data } = set;
  const protocol = kfold ? kfoldProtocol(set.protocol, sets.length, opts.foldUsers ?? 'seen') : set.protocol;
  const result: EvalResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    dataset,
    createdAt: new Date().toISOString(),
    protocol: {
      name: protocol.name,
      description: protocol.description,
      scenarios: protocol.scenarios,
      ...(protocol.interactionTypes ? { interactionTypes: protocol.interactionTypes } : {}),
      ks: protocol.ks,
      maskHistory: protocol.maskHistory,
      sampledNegatives: protocol.sampledNegatives,
      ...(protocol.holdout ? { holdout: protocol.holdout } : {}),
      slices: Object.fromEntries(Object.entries(SLICE_DEFINITIONS).filter(([k]) => slices.has(k))),
      tuning: `each baseline runs its own grid (see params) maximising NDCG@10 on a seeded sample of ${harness?.tuneCases.length ?? 0} valid cases, ranked exactly like test; the engine runs the training pipeline of \`fusionrec train\` (its graph tuning and fitting cases: train.fitCases of the validation split, topped up with held-out cases)`,
    },
    data: {
      items: data.itemIds.length,
      trainUsers: data.users.length,
      trainInteractions: data.users.reduce((s, u) => s + u.train.length, 0),
      validCases: set.valid.length,
      testCases: kfold
        ? sets.slice(0, Math.max(1, done)).reduce((s, f) => s + f.test.length, 0)
        : set.test.length,
      tuneCases: harness?.tuneCases.length ?? 0,
      itemVectors: data.itemVectors?.encoder ?? null,
      notes: kfold ? [...set.notes, ...sets.slice(0, done).map((f) => f.notes.at(-1)!)] : set.notes,
    },
    run: {
      seed: opts.seed,
      maxUsers: opts.maxUsers ?? null,
      configHash: opts.configHash,
      command: opts.command,
      versions: {
        fusionrec: packageVersion(),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      timings: { loadMs: Math.round(loadMs), totalMs: Math.round(performance.now() - t0) },
      interrupted,
    },
    models,
    cases: mergeFoldCases(cases),
  };
  const evaluated = models.filter((m) => m.status === 'ok').map((m) => m.name);
  const pairs = (opts.compare ?? []).filter(([a, b]) => evaluated.includes(a) && evaluated.includes(b));
  if (opts.compare ? pairs.length > 0 : evaluated.length > 1)
    result.comparisons = compareModels(result, opts.compare ? pairs : undefined);
  return result;
}

/** the dataset's protocol as the k-fold run changes it (src/eval/kfold.ts) */
function kfoldProtocol(p: ProtocolSpec, folds: number, foldUsers: FoldUsers): ProtocolSpec {
  return {
    ...p,
    name: 'k-fold',
    description: `k-fold over the training users (${folds} folds, src/eval/kfold.ts): the training users whose history before their last item spans its scenario and another, dealt into seeded folds; in each fold its users' last items are the targets (in their own scenario) and leave the training data every model of that fold is fitted on (${foldUsers === 'unseen' ? 'the users leave it whole and bring their histories at request time' : 'their earlier items stay in it'}); the official validation split tunes. Ranking as the dataset's protocol: ${p.description}`,
  };
}

/**
 * The run's config as the protocol requires it: held-out users bring their history at request
 * time only, so the engine does not learn from it (`train.inputHistories` off), as no baseline does.
 */
function protocolConfig(config: Config, protocol: ProtocolSpec): Config {
  if (protocol.name !== 'held-out-users') return config;
  return { ...config, train: { ...config.train, inputHistories: false } };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
