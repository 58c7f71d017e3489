/**
 * The engine as an EvalModel: the shipped code, not a copy of it. `fit` runs the training pipeline
 * of `fusionrec train` (`trainFromStore`) on the evaluation's store and loads the result with
 * `createEngine`, as `fusionrec serve` does; `score` asks the engine (`engine.scoreAll`: the
 * profile, `prepareQuery` and scores of `engine.recommend`, for the test case's explicit history).
 * The ablations are config overrides the product understands too.
 */
import { parseConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { createEngine } from '../../engine/create.ts';
import type { Engine } from '../../engine/types.ts';
import { type TrainReport, trainFromStore } from '../../train/train.ts';
import type { EvalData, EvalModel, EvalQuery, FitOptions, ModelEntry } from '../types.ts';
import { sharedStoreOfData } from './engine-store.ts';

/** an ablation: config overrides, and whether the text features stay (no encoder = no text) */
export interface EngineVariant {
  description: string;
  train?: Partial<Config['train']>;
  seq?: Partial<Config['seq']>;
  text?: boolean;
}

const ENGINE_VARIANTS: Record<string, EngineVariant> = {
  engine: {
    description: 'the engine: profiles, collaborative + text + popularity signals, ranker fitted on valid',
  },
  'engine-nofusion': { description: 'engine ablation: without fusion', train: { fusion: false } },
  'engine-nocontext': { description: 'engine ablation: without context', train: { context: false } },
  'engine-notext': { description: 'engine ablation: without text', text: false },
  'engine-noids': { description: 'engine ablation: without ids', train: { ids: false } },
  'engine-noseq': { description: 'engine ablation: without seq', seq: { enabled: false } },
  'engine-noals': {
    description: 'engine ablation: without the latent model (train.alsFactors 0)',
    train: { alsFactors: 0 },
  },
  'engine-noattr': {
    description: 'engine ablation: without the attribute graph (train.attrNeighbors 0)',
    train: { attrNeighbors: 0 },
  },
  'engine-users': {
    description:
      'engine with the cross-scenario user matching (train.crossUsers 200: the usersCross feature)',
    train: { crossUsers: 200 },
  },
  'engine-attrcross': {
    description:
      "engine with the attribute graph's links across scenarios (train.attrCrossNeighbors 100: the attrCross feature)",
    train: { attrCrossNeighbors: 100 },
  },
  'engine-popcross': {
    description:
      'engine with the popularity among users arriving from another scenario (train.popularityCross: the popularityCross feature)',
    train: { popularityCross: true },
  },
  'engine-seqfused': {
    description:
      "engine with the sequential model read per scenario: `seq` from the target scenario's entries, the cross-scenario `seqFused` from the whole history (train.seqFused on)",
    train: { seqFused: true },
  },
  'engine-noadapt': {
    description: 'engine ablation: the sequential model without per-scenario factors (seq.scenarioAdapt off)',
    seq: { scenarioAdapt: false },
  },
  'engine-gate': {
    description: "engine with the PEPNet-style gate on the sequential model's user state (seq.gate on)",
    seq: { gate: true },
  },
  'engine-sasrec': {
    description: 'engine with a transformer history encoder (seq.arch sasrec) in place of attention pooling',
    seq: { arch: 'sasrec' },
  },
  'engine-nofusion-sasrec': {
    description: 'engine ablation: without fusion, with the transformer history encoder (seq.arch sasrec)',
    train: { fusion: false },
    seq: { arch: 'sasrec' },
  },
  // the fusion comparison without the sequential model (its training is the slow part on food-kitchen)
  'engine-nofusion-noseq': {
    description: 'engine ablation: without fusion, without seq',
    train: { fusion: false },
    seq: { enabled: false },
  },
};

/** the run's config with the variant's overrides, the run's seed and epoch cap */
function variantConfig(base: Config, v: EngineVariant, opts: Pick<FitOptions, 'seed' | 'seqEpochs'>): Config {
  return {
    ...base,
    train: { ...base.train, ...v.train, seed: opts.seed },
    seq: { ...base.seq, ...v.seq, ...(opts.seqEpochs !== undefined ? { epochs: opts.seqEpochs } : {}) },
    // the model just trained must be the one scored: a stale one is an error, not a silent rebuild
    engine: { ...base.engine, staleModel: 'error' },
  };
}

export class EngineEvalModel implements EvalModel {
  private engine: Engine | undefined;
  private itemIds: readonly string[] = [];
  /** dense eval index of each scored item, per list the engine returns (one per scenario) */
  private readonly denseOf = new WeakMap<readonly string[], Int32Array>();
  private dense = new Map<string, number>();
  private tie: Uint32Array | undefined;
  private info: Record<string, number | string | boolean> = {};

  constructor(
    readonly name: string,
    private readonly variant: EngineVariant = ENGINE_VARIANTS.engine!,
  ) {}

  params(): Record<string, number | string | boolean> {
    return this.info;
  }

  async fit(data: EvalData, opts: FitOptions): Promise<void> {
    const t0 = Date.now();
    const config = variantConfig(opts.config ?? parseConfig({}), this.variant, opts);
    const encoderId = this.variant.text === false ? undefined : data.itemVectors?.encoder;
    // a store whose split is the evaluation's, or one written from the data (shared with the next
    // model fitted on the same data, so what both would train alike is trained once)
    const store = opts.store ?? (await sharedStoreOfData(data, opts.valid, opts.scenarios));
    const report = await trainFromStore(store, config, {
      encoderId,
      onProgress: (phase, done, total) => opts.onProgress?.(done, total, phase),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    this.engine = await createEngine(config, {
      store,
      // only the id is read: it names the item vectors the pipeline trained with; null = no text
      encoder: encoderId ? vectorsOnly(encoderId, data.itemVectors!.dim) : null,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    this.itemIds = data.itemIds;
    this.dense = new Map(data.itemIds.map((id, i) => [id, i]));
    this.tie = new Uint32Array(data.itemIds.length);
    for (const scenario of data.scenarios) {
      const r = this.engine.scoreAll!({ history: [], scenario });
      this.denseIndex(r.items).forEach((i, k) => {
        if (i >= 0) this.tie![i] = k;
      });
    }
    this.info = { ...infoOf(report, config), fitSeconds: Math.round((Date.now() - t0) / 1000) };
  }

  score(query: EvalQuery): Float32Array {
    const engine = this.engine;
    if (!engine?.scoreAll) throw new Error(`${this.name}: score() before fit()`);
    const r = engine.scoreAll({
      user: query.user,
      history: query.history.map((e) => ({
        item: this.itemIds[e.item]!,
        scenario: e.scenario,
        type: e.type,
        ...(e.value !== undefined ? { value: e.value } : {}),
        ts: e.ts,
      })),
      scenario: query.scenario,
    });
    const out = new Float32Array(this.itemIds.length).fill(-1e9);
    const at = this.denseIndex(r.items);
    for (let k = 0; k < at.length; k++) if (at[k]! >= 0) out[at[k]!] = r.scores[k]!;
    return out;
  }

  /**
   * Equal scores rank as the engine ranks them: by catalog index (store id order), i.e. by the
   * position in the engine's item list of the scenario, the only ties a ranking meets.
   */
  tieOrder(): Uint32Array | undefined {
    return this.tie;
  }

  private denseIndex(items: readonly string[]): Int32Array {
    let at = this.denseOf.get(items);
    if (!at) {
      at = Int32Array.from(items, (id) => this.dense.get(id) ?? -1);
      this.denseOf.set(items, at);
    }
    return at;
  }

  async close(): Promise<void> {
    await this.engine?.close();
    this.engine = undefined;
  }
}

/** an encoder that names item vectors already in the store and encodes nothing */
function vectorsOnly(id: string, dim: number) {
  return {
    id,
    dim,
    encode: async (): Promise<Float32Array[]> => {
      throw new Error(`the evaluation's encoder ${id} encodes nothing: the items are encoded before it runs`);
    },
    close: async () => {},
  };
}

function infoOf(r: TrainReport, config: Config): Record<string, number | string | boolean> {
  return {
    inputHistories: config.train.inputHistories,
    fusion: config.train.fusion,
    context: config.train.context,
    ids: config.train.ids,
    seqEnabled: config.seq.enabled,
    wholeHistory: r.wholeHistory,
    ...(r.graph
      ? {
          shrink: r.graph.shrink,
          easeLambda: r.graph.easeLambda,
          ...(r.graph.easeFusedLambda !== undefined ? { easeFusedLambda: r.graph.easeFusedLambda } : {}),
          graphNdcg10: JSON.stringify(r.graph.ndcg),
        }
      : {}),
    ...(r.seq
      ? {
          seqValidNdcg10: Number(r.seq.validNdcg10.toFixed(4)),
          seqEpochs: r.seq.epochs,
          seqAveragedEpochs: r.seq.averagedEpochs,
          ...(r.seq.negatives !== undefined ? { seqNegatives: r.seq.negatives } : {}),
          ...(r.seq.members !== undefined ? { seqMembers: r.seq.members } : {}),
          ...(r.seq.ensembleValidNdcg10 !== undefined
            ? { seqEnsembleValidNdcg10: Number(r.seq.ensembleValidNdcg10.toFixed(4)) }
            : {}),
        }
      : {}),
    decay: r.ranker.decay,
    weights: r.ranker.shared.map((w) => w.toFixed(2)).join(','),
    scenarioWeights: r.ranker.perScenario.join(',') || 'none',
    poolNdcg10: Number(r.validNdcg10.toFixed(4)),
    poolNdcg10Default: Number(r.defaultNdcg10.toFixed(4)),
    fitCases: r.validCases + r.heldOutCases,
    heldOutCases: r.heldOutCases,
    crossCheck: JSON.stringify(r.crossCheck),
    fitSplit: JSON.stringify(r.fitSplit),
    modelStamp: r.stamp,
    // where the training time went (graphs with their tuning, sequential model, ranker fit)
    trainSeconds: JSON.stringify(
      Object.fromEntries(Object.entries(r.seconds).map(([k, v]) => [k, Math.round(v)])),
    ),
  };
}

/** the engine and its ablations, as harness registry entries */
export const ENGINE_MODELS: Record<string, ModelEntry> = Object.fromEntries(
  Object.entries(ENGINE_VARIANTS).map(([name, variant]) => [
    name,
    { description: variant.description, create: () => new EngineEvalModel(name, variant) },
  ]),
);
