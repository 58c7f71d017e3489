/**
 * The sequential model (src/seq) as a standalone evaluation baseline, and the one place that turns
 * EvalData into its training data. The trained model is memoised per EvalData and options. The
 * engine's `seq` feature is not this one: it comes from the training pipeline (src/train/train.ts).
 */
import { eventWeight } from '../../profile/weights.ts';
import { seqOptionsOf } from '../../seq/config.ts';
import type { SeqScorer } from '../../seq/model.ts';
import {
  DEFAULT_SEQ_OPTIONS,
  type SeqModel,
  type SeqOptions,
  type SeqTrainData,
  scorerOf,
  trainSeq,
} from '../../seq/train.ts';
import type { EvalData, EvalInteraction, EvalModel, FitOptions } from '../types.ts';

const positives = (h: readonly EvalInteraction[]): number[] =>
  h.filter((e) => eventWeight({ type: e.type, value: e.value }) > 0).map((e) => e.item);

function scenarioCodes(data: EvalData): { codes: Uint16Array; scenarios: string[] } {
  const scenarios = [...new Set(data.itemScenario)].sort();
  const code = new Map(scenarios.map((s, i) => [s, i]));
  return { codes: Uint16Array.from(data.itemScenario, (s) => code.get(s)!), scenarios };
}

/**
 * The training data of the sequential model. `alone` = each scenario on its own (the no-fusion
 * ablation): every user's history is split into one sequence per scenario and a valid query sees
 * only its target scenario's items, so no parameter learns from what follows across scenarios.
 */
export function seqDataOf(data: EvalData, opts: FitOptions, alone = false): SeqTrainData {
  const { codes, scenarios } = scenarioCodes(data);
  const split = (list: readonly EvalInteraction[]): (readonly EvalInteraction[])[] => {
    if (!alone) return [list];
    const by = new Map<string, EvalInteraction[]>();
    for (const e of list) {
      const seq = by.get(e.scenario);
      if (seq) seq.push(e);
      else by.set(e.scenario, [e]);
    }
    return [...by.values()];
  };
  return {
    numItems: data.itemIds.length,
    itemScenario: codes,
    numScenarios: scenarios.length,
    text: data.itemVectors,
    sequences: data.users.flatMap((u) => split(u.train).map(positives)).filter((s) => s.length > 1),
    valid: seqValidOf(opts, alone),
  };
}

/** the valid cases as the sequential model sees them (`alone`: the target scenario's items only) */
export function seqValidOf(opts: FitOptions, alone = false): SeqTrainData['valid'] {
  return opts.valid.map(({ query, target }) => ({
    hist: positives(alone ? query.history.filter((h) => h.scenario === query.scenario) : query.history),
    target,
  }));
}

const trained = new WeakMap<EvalData, Map<string, Promise<SeqModel>>>();

/**
 * The sequential model's options in an evaluation: the run's `seq` section (the defaults without
 * one), the run's seed and epoch cap. Single-threaded whatever `train.threads` says: thread counts
 * differ in the last bits, and the baseline keeps the numbers of its single-threaded runs.
 */
export function seqOptionsFor(opts: FitOptions): SeqOptions {
  const threads = DEFAULT_SEQ_OPTIONS.threads;
  const base = opts.config ? seqOptionsOf(opts.config.seq, opts.seed, threads) : DEFAULT_SEQ_OPTIONS;
  return { ...base, seed: opts.seed, ...(opts.seqEpochs ? { epochs: opts.seqEpochs } : {}) };
}

/** trains (or returns the model already trained in this process for the same data and options) */
export function trainedSeqModel(
  data: EvalData,
  opts: FitOptions,
  seqOpts: SeqOptions = seqOptionsFor(opts),
  alone = false,
): Promise<SeqModel> {
  const byOpts = trained.get(data) ?? new Map<string, Promise<SeqModel>>();
  trained.set(data, byOpts);
  const key = JSON.stringify({ ...seqOpts, alone });
  let p = byOpts.get(key);
  if (!p) {
    p = trainSeq(seqDataOf(data, opts, alone), seqOpts, {
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    byOpts.set(key, p);
    // a failed or interrupted training must not be served to the next model
    p.catch(() => byOpts.delete(key));
  }
  return p;
}

export class SeqRec implements EvalModel {
  readonly name = 'seqrec';
  private scorer: SeqScorer | undefined;
  private codes: Uint16Array = new Uint16Array(0);
  private scenarios: string[] = [];
  private info: Record<string, number | string | boolean> = {};

  params(): Record<string, number | string | boolean> {
    return this.info;
  }

  async fit(data: EvalData, opts: FitOptions): Promise<void> {
    const seqOpts = seqOptionsFor(opts);
    const model = await trainedSeqModel(data, opts, seqOpts);
    this.scorer = scorerOf(model);
    ({ codes: this.codes, scenarios: this.scenarios } = scenarioCodes(data));
    const r = model.report;
    this.info = {
      dim: seqOpts.dim,
      maxLen: seqOpts.maxLen,
      textDim: model.shape.textDim,
      negatives: seqOpts.negatives,
      epochs: r.epochs,
      bestEpoch: r.bestEpoch,
      averagedEpochs: r.averagedEpochs,
      validNdcg10: Number(r.validNdcg10.toFixed(5)),
      examples: r.examples,
      trainSeconds: Math.round(r.seconds),
    };
  }

  score(query: { history: EvalInteraction[]; scenario: string }): Float32Array {
    const s = this.scorer;
    if (!s) throw new Error('seqrec: score() before fit()');
    const n = this.codes.length;
    const out = new Float32Array(n).fill(-1e9);
    const code = this.scenarios.indexOf(query.scenario);
    const z = code >= 0 ? s.userState(positives(query.history), code) : undefined;
    if (!z) return out;
    for (let i = 0; i < n; i++) if (this.codes[i] === code) out[i] = s.score(z, i);
    return out;
  }
}
