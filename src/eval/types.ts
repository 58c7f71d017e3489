import type { Config } from '../config/schema.ts';
import type { Scenario } from '../core/types.ts';
import type { Store } from '../store/types.ts';

/**
 * What the evaluation harness hands to a model and asks back. Items are addressed by a dense
 * index 0..numItems-1 (`EvalData.itemIds[i]` is the store id) so full ranking stays fast.
 */

/** One interaction of a user's chronological sequence, as the harness sees it. */
export interface EvalInteraction {
  item: number;
  scenario: string;
  type: string;
  value?: number;
  ts: number;
}

interface EvalUser {
  user: string;
  /** training interactions, oldest first (what a model may fit on) */
  train: EvalInteraction[];
}

export interface EvalData {
  dataset: string;
  itemIds: string[];
  /** scenario of each item, by dense index */
  itemScenario: string[];
  /** unified item text by dense index (empty string where a dataset has none) */
  itemText: string[];
  scenarios: string[];
  users: EvalUser[];
  /**
   * language-model vectors of the items, row i = item i (L2-normalised, `dim` wide), when the
   * dataset has item text and an encoder ran; text-based models and the diversity metrics use them
   */
  itemVectors?: { dim: number; data: Float32Array; encoder: string };
}

export interface EvalQuery {
  user: string;
  /** the history the model may use at request time, oldest first (train + earlier held-out items) */
  history: EvalInteraction[];
  /** the scenario the target lives in; full ranking is restricted to its items */
  scenario: string;
}

export interface FitOptions {
  /** validation queries with their targets, for tuning only */
  valid: { query: EvalQuery; target: number; targets?: number[] }[];
  seed: number;
  /**
   * The tuning objective: NDCG@10 of a scoring function on the valid queries, ranked exactly as the
   * test protocol ranks (scenario restriction, masking, tie-breaking). Higher is better.
   */
  objective: (score: (query: EvalQuery) => Float32Array) => number;
  /** most epochs of the sequential model (seqrec and the engine's `seq` feature); absent = its default */
  seqEpochs?: number;
  /**
   * The store the data were loaded from, when its split is the evaluation's (absent for a split
   * drawn in memory): the engine trains on it with the shipped pipeline.
   */
  store?: Store;
  /**
   * The scenarios of the store a split drawn in memory was taken from (lastfm-2k's seeded
   * hold-out, a k-fold's fold): the store the engine then trains on is written with them, so it
   * weighs events as the source store does (with repeats off: every protocol masks the history)
   */
  scenarios?: readonly Scenario[];
  /** the run's configuration (the engine's, before a variant's overrides) */
  config?: Config;
  onProgress?: (done: number, total: number, label: string) => void;
  signal?: AbortSignal;
}

/**
 * What a model may need of a dataset: item vectors, or several scenarios (a cross-scenario model
 * has nothing to learn from one)
 */
type ModelNeed = 'itemVectors' | 'scenarios';

/** a registered model: `needs` lists what a dataset must provide for it to apply */
export interface ModelEntry {
  description: string;
  needs?: readonly ModelNeed[];
  create: () => EvalModel;
}

export interface EvalModel {
  readonly name: string;
  /** the hyper-parameters in use after fit (the tuned ones), recorded in the results JSON */
  params(): Record<string, number | string | boolean>;
  fit(data: EvalData, opts: FitOptions): Promise<void>;
  /**
   * A score for every item (length numItems); higher is better. The harness masks items outside the
   * query's scenario and, where the protocol says so, items already in the history.
   */
  score(query: EvalQuery): Float32Array;
  /**
   * How equal scores rank, when the model has its own rule (lower first, per item); absent = the
   * harness's seeded tie-breaker. The engine ranks ties by catalog index, as it serves them.
   */
  tieOrder?(): Uint32Array | undefined;
  close?(): Promise<void>;
}
