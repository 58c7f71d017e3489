/**
 * The negatives of the sequential model's sampled softmax: how many each training batch draws
 * (`seq.negatives`, fewer where an epoch's predicted positions would score more candidates than
 * `seq.softmaxBudget` allows) and the draw itself.
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

/**
 * Each batch's negatives per scenario: `count` items of the scenario drawn uniformly (with
 * replacement), or every item of a scenario that has no more than `count`: the exact softmax over
 * the scenario, at less cost than the draw.
 */
export function drawNegatives(
  scenarioItems: readonly (readonly number[])[],
  count: number,
  rnd: () => number,
): (readonly number[])[] {
  return scenarioItems.map((items) =>
    count >= items.length
      ? items
      : Array.from({ length: count }, () => items[Math.floor(rnd() * items.length)]!),
  );
}

/** predicted positions of an epoch: every item of a sequence after its first */
export function positionsOf(sequences: readonly (readonly number[])[]): number {
  let n = 0;
  for (const s of sequences) n += Math.max(0, s.length - 1);
  return n;
}
