/**
 * How many negatives each training batch of the sequential model draws: `seq.negatives`, fewer
 * where an epoch would score more candidates than `seq.softmaxBudget` allows.
 */
import type { SeqOptions } from './types.ts';

/** the fewest negatives the softmax budget leaves a batch */
const MIN_NEGATIVES = 64;

/**
 * The negatives each batch draws: `negatives`, fewer where an epoch of `positions` predicted
 * positions would score more than `softmaxBudget` candidates (never under 64, nor above `negatives`)
 */
export function negativesFor(
  opts: Pick<SeqOptions, 'negatives' | 'softmaxBudget'>,
  positions: number,
): number {
  const within = Math.floor(opts.softmaxBudget / Math.max(1, positions));
  return Math.min(opts.negatives, Math.max(MIN_NEGATIVES, within));
}
