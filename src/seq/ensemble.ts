/**
 * Several sequential models, each trained from its own seed, scored as one: the mean of their
 * scores (`seq.members`; what it gains is measured in docs/results.md). One model's ranking moves
 * with its seed; the mean of several moves less.
 */

import { negativesFor } from './negatives.ts';
import type { SeqWeights } from './params.ts';
import { SeqScorer, type SeqScoring, scorerOf } from './scorer.ts';
import type { SeqModel, SeqOptions } from './types.ts';

export class EnsembleScorer implements SeqScoring {
  readonly numItems: number;
  private readonly dim: number;
  private readonly tables: Float32Array[];
  private readonly biases: Float32Array[];

  constructor(private readonly scorers: readonly SeqScorer[]) {
    if (scorers.length === 0) throw new RangeError('an ensemble needs a model');
    this.numItems = scorers[0]!.numItems;
    this.dim = scorers[0]!.dim;
    if (scorers.some((s) => s.numItems !== this.numItems || s.dim !== this.dim))
      throw new RangeError('the models of an ensemble must share their items and width');
    this.tables = scorers.map((s) => s.table);
    this.biases = scorers.map((s) => s.bias);
  }

  get members(): readonly SeqWeights[] {
    return this.scorers.map((s) => s.weights);
  }

  /** the models' user states side by side (members x dim values) */
  userState(hist: readonly number[], scenario: number): Float32Array | undefined {
    const d = this.dim;
    const z = new Float32Array(this.scorers.length * d);
    for (let m = 0; m < this.scorers.length; m++) {
      const zm = this.scorers[m]!.userState(hist, scenario);
      if (!zm) return undefined;
      z.set(zm, m * d);
    }
    return z;
  }

  /** the mean of the models' scores */
  score(z: Float32Array, item: number): number {
    const d = this.dim;
    const o = item * d;
    let s = 0;
    for (let m = 0; m < this.tables.length; m++) {
      const t = this.tables[m]!;
      const off = m * d;
      s += this.biases[m]![item]!;
      for (let k = 0; k < d; k++) s += z[off + k]! * t[o + k]!;
    }
    return s / this.tables.length;
  }

  /** the mean of the models' attributions: sums to the score less the mean bias */
  attribution(hist: readonly number[], scenario: number, item: number): Float64Array {
    const parts = this.scorers.map((s) => s.attribution(hist, scenario, item));
    const out = new Float64Array(parts[0]!.length);
    for (const p of parts) for (let t = 0; t < out.length; t++) out[t]! += p[t]! / parts.length;
    return out;
  }
}

/** the scorer of one trained model or of several (their mean) */
export function scorerOfModels(models: SeqModel | readonly SeqModel[]): SeqScoring {
  const list = Array.isArray(models) ? models : [models as SeqModel];
  return list.length === 1 ? scorerOf(list[0]!) : new EnsembleScorer(list.map(scorerOf));
}

/** the scorer of one model's weights or of several (the ranker fit's workers rebuild it from these) */
export function scorerOfWeights(members: readonly SeqWeights[]): SeqScoring {
  return members.length === 1
    ? new SeqScorer(members[0]!)
    : new EnsembleScorer(members.map((w) => new SeqScorer(w)));
}

/**
 * Models of the ensemble: as many as fit the softmax budget together (members x positions x the
 * negatives each batch draws), at least one, at most `members`
 */
export function membersFor(
  opts: Pick<SeqOptions, 'negatives' | 'softmaxBudget' | 'members'>,
  positions: number,
): number {
  const perModel = Math.max(1, positions) * negativesFor(opts, positions);
  return Math.max(1, Math.min(opts.members, Math.floor(opts.softmaxBudget / perModel)));
}

/** the seed of the ensemble's k-th model (the first keeps the configured seed) */
export const memberSeed = (seed: number, k: number): number => (k === 0 ? seed : seed + 7919 * k);
