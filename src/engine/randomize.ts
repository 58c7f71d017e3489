/**
 * The logging policy's randomization, so that logged lists support off-policy estimates of whole
 * other rankings (replay-lists.ts). In a scenario with `feedback.randomize[scenario] = {epsilon,
 * top, seed}`, an answer is, with probability `epsilon`, a uniformly shuffled copy of the
 * ranking's first `top` items cut to the requested length, and otherwise the ranking itself.
 * Epsilon-mixing with a uniform shuffle is chosen over Plackett-Luce sampling because its
 * per-position marginals are exact and cheap: item a lands at position k (k < top) with
 *
 *   mu(a, k) = (1 - epsilon) [a = r_k] + epsilon [a in top] / top
 *
 * where r is the deterministic ranking; Plackett-Luce marginals have no closed form, and a
 * propensity that is only approximately right biases every estimate divided by it.
 */
import { requestRandom } from '../core/rng.ts';

export interface RandomizeRule {
  epsilon: number;
  top: number;
  seed: number;
}

/** what the impression keeps of the randomization: enough to recompute mu for any item */
export interface LoggedRandomization {
  epsilon: number;
  /** the deterministic ranking's first `top` items, the shuffle's pool */
  ranked: string[];
}

/** mu(item, position) of a logged randomized answer (0: the policy could not put it there) */
export function marginal(r: LoggedRandomization, item: string, position: number): number {
  const top = r.ranked.length;
  if (position >= top) return 0;
  const inPool = r.ranked.includes(item);
  return (1 - r.epsilon) * (r.ranked[position] === item ? 1 : 0) + (inPool ? r.epsilon / top : 0);
}

/**
 * Randomizes `ranked` (the deterministic ranking, at least `n` items when it has them) into an
 * answer of at most `n` items (the pool is at least `n` deep), seeded by the rule's seed and the recommendation id so a logged
 * answer can be reproduced. Returns the order (indices into `ranked`), each shown item's marginal
 * and what the impression logs.
 */
export function randomize(
  ranked: readonly string[],
  n: number,
  rule: RandomizeRule,
  id: string,
): { order: number[]; propensity: number[]; logged: LoggedRandomization } {
  // the pool covers every shown position, so each one's marginal is known
  const top = Math.min(Math.max(rule.top, n), ranked.length);
  const logged: LoggedRandomization = { epsilon: rule.epsilon, ranked: ranked.slice(0, top) };
  const rng = requestRandom(rule.seed, id);
  const order = Array.from(ranked.keys());
  if (rng() < rule.epsilon)
    for (let i = top - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  const shown = order.slice(0, Math.min(n, ranked.length));
  return { order: shown, propensity: shown.map((i, k) => marginal(logged, ranked[i]!, k)), logged };
}
