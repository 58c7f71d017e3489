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
import { MODELS } from './models/index.ts';
import { type EvalResult, type ModelResult, RESULT_SCHEMA_VERSION } from './schema.ts';
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
  onProgress?: (label: string, done: number, total: number) => void;
}

export async function runEvaluation(
  store: Store,
  dataset: DatasetName,
  opts: RunOptions,
): Promise<EvalResult> {
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
  const set = await loadEvalData(store, dataset, opts);
  const loadMs = performance.now() - t0;
  // a split drawn in memory (lastfm-2k) or a filtered event type is not the store's: the engine
  // then trains on a store written from the data (src/eval/models/engine-store.ts)
  const storeIsSplit = !set.protocol.holdout && !set.protocol.interactionTypes;
  const harness = new Harness(set, {
    seed: opts.seed,
    ...(storeIsSplit ? { store } : {}),
    ...(opts.config ? { config: protocolConfig(opts.config, set.protocol) } : {}),
    ...(opts.rankedIds ? { rankedIds: opts.rankedIds } : {}),
    ...(opts.tuneCases !== undefined ? { tuneCases: opts.tuneCases } : {}),
    ...(opts.seqEpochs !== undefined ? { seqEpochs: opts.seqEpochs } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const models: ModelResult[] = [];
  let interrupted = false;
  for (const name of opts.models) {
    try {
      models.push(await harness.evaluate(name, registry[name]!));
    } catch (e) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      throw e;
    }
  }
  const slices = new Set(models.flatMap((m) => m.groups.map((g) => g.slice)));
  const { data, protocol } = set;
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
      tuning: `each baseline runs its own grid (see params) maximising NDCG@10 on a seeded sample of ${harness.tuneCases.length} valid cases, ranked exactly like test; the engine runs the training pipeline of \`fusionrec train\` (its graph tuning and fitting cases: train.fitCases of the validation split, topped up with held-out cases)`,
    },
    data: {
      items: data.itemIds.length,
      trainUsers: data.users.length,
      trainInteractions: data.users.reduce((s, u) => s + u.train.length, 0),
      validCases: set.valid.length,
      testCases: set.test.length,
      tuneCases: harness.tuneCases.length,
      itemVectors: data.itemVectors?.encoder ?? null,
      notes: set.notes,
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
    cases: harness.caseInfo(),
  };
  const evaluated = models.filter((m) => m.status === 'ok').map((m) => m.name);
  const pairs = (opts.compare ?? []).filter(([a, b]) => evaluated.includes(a) && evaluated.includes(b));
  if (opts.compare ? pairs.length > 0 : evaluated.length > 1)
    result.comparisons = compareModels(result, opts.compare ? pairs : undefined);
  return result;
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
