/**
 * What training the sequential model takes (options, data, hooks) and gives (the trained model, its
 * report, epoch checkpoints).
 */
import { SEQ_DEFAULTS } from '../config/seq.ts';
import type { SeqArch, SeqParams, SeqShape } from './params.ts';
import type { Whitening } from './whiten.ts';

export interface SeqOptions {
  dim: number;
  maxLen: number;
  /** width of the whitened text features (0 = ignore text even when there is some) */
  textDim: number;
  negatives: number;
  /** most candidate scores per epoch (positions x negatives); fewer negatives beyond it (never under 64) */
  softmaxBudget: number;
  /** most models of an ensemble (`membersFor` in ./ensemble.ts: as many as fit `softmaxBudget` together; trainSeq trains one) */
  members: number;
  batchSize: number;
  lr: number;
  /** the learning rate's factor after each epoch that does not beat the best valid NDCG@10 (1 = constant) */
  lrDecay: number;
  /** L2 penalty on the id embeddings and biases of the rows a batch touches */
  l2: number;
  epochs: number;
  /** epochs without a better valid NDCG@10 before stopping */
  patience: number;
  /** most valid cases scored after each epoch (a seeded sample) */
  validCases: number;
  seed: number;
  /**
   * learn the per-scenario parameters (item scale/shift, user query factor); off = they stay at
   * the identity and every scenario shares one model (the ablation of the STAR part)
   */
  scenarioAdapt: boolean;
  /** the PEPNet-style gate on the user state (./forward.ts scenarioState) */
  gate: boolean;
  /**
   * the mean of the weights of the epochs from the best to the last (kept where its valid NDCG@10
   * is at least the best epoch's) in place of the best epoch's
   */
  average: boolean;
  /** the history encoder (./model.ts, ./sasrec.ts) */
  arch: SeqArch;
  /** sasrec: blocks, heads per block, training dropout */
  layers: number;
  heads: number;
  dropout: number;
  /**
   * threads computing each batch's gradient (the caller + threads - 1 workers); 0 = one per core,
   * 1 = all in the calling thread. Results are deterministic for a given count; 1 and 2 threads
   * differ in the last bits (float sums grouped differently).
   */
  threads: number;
}

// where the pipeline stops the model (`seq.stopOn`) and what it feeds as text (`seq.metadata`) are
// the pipeline's choices, not the model's options
const { stopOn: _stopOn, metadata: _metadata, ...MODEL_DEFAULTS } = SEQ_DEFAULTS;
export const DEFAULT_SEQ_OPTIONS: SeqOptions = {
  ...MODEL_DEFAULTS,
  seed: 1,
  // single-threaded by default: the same model as on any machine, where 2 threads differ in the
  // last bits (docs/results.md)
  threads: 1,
};

export interface SeqTrainData {
  numItems: number;
  /** scenario code per item */
  itemScenario: Uint16Array;
  numScenarios: number;
  /** language-model vectors, row i = item i, zero rows for items without text */
  text?: { dim: number; data: Float32Array } | undefined;
  /** training sequences of item indices, oldest first */
  sequences: readonly (readonly number[])[];
  /** held-out next items for early stopping */
  valid: readonly SeqCase[];
  /**
   * false = no id embeddings and no item biases: every item is its text alone, as an item without
   * training events is (the no-ids ablation, `train.ids` off); needs `text`. Absent = true.
   */
  ids?: boolean;
}

export interface SeqCase {
  /** history, oldest first */
  hist: readonly number[];
  target: number;
}

/** what a trained model needs besides its parameters, and what it is scored with */
export interface SeqModel {
  shape: SeqShape;
  params: SeqParams;
  whitening: Whitening | undefined;
  /** whitened text features (numItems x textDim), or empty */
  text: Float32Array;
  warm: Uint8Array;
  scenario: Uint16Array;
  report: SeqReport;
}

export interface SeqReport {
  epochs: number;
  bestEpoch: number;
  /** valid NDCG@10 of the weights kept (the mean's, where it was kept) */
  validNdcg10: number;
  /** epochs whose weights were averaged into the model (1: the best epoch's weights alone) */
  averagedEpochs: number;
  /** valid NDCG@10 of the mean of the epochs from the best to the last (absent: not computed) */
  averageValidNdcg10?: number;
  /** valid NDCG@10 after each epoch */
  history: number[];
  losses: number[];
  examples: number;
  /** negatives each batch drew (`negatives`, or fewer under `softmaxBudget`; absent in models saved before it) */
  negatives?: number;
  /** models in the ensemble this one belongs to (absent: one) */
  members?: number;
  /** the ensemble's valid NDCG@10 (its mean score), where it has several models */
  ensembleValidNdcg10?: number;
  seconds: number;
  resumedFrom: number;
}

/** training state at an epoch boundary: enough to resume exactly */
export interface SeqCheckpoint {
  epoch: number;
  step: number;
  params: SeqParams;
  m: SeqParams;
  v: SeqParams;
  best: SeqParams;
  bestNdcg: number;
  bestEpoch: number;
  /**
   * with `average`: the sum of the weights of the epochs from the best to this one, and how many
   * (absent without: nothing to keep)
   */
  tail?: SeqParams;
  tailCount?: number;
  bad: number;
  history: number[];
  losses: number[];
}

export interface SeqHooks {
  onProgress?: (done: number, total: number, label: string) => void;
  signal?: AbortSignal;
  resume?: SeqCheckpoint | undefined;
  /** called at every epoch boundary with the state to save for a resume */
  onEpoch?: (c: SeqCheckpoint) => void | Promise<void>;
}
