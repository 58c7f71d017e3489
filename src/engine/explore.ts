/**
 * The exploration slot: in a scenario with `feedback.exploration[scenario] = {every, maxShows,
 * seed}`, the last position of each block of `every` is given to an item the policy picks among
 * the scenario's available items shown fewer than `maxShows` times (counted by this process) and
 * not already in the list. The policy is a seeded count-based bandit: item j is drawn with
 * probability (1 + shows_j)^-1 / sum over the eligible items, so never-shown (new) items come first
 * and the pull fades as an item gathers exposure. Every shown item is logged with the probability
 * the policy gave it its place: the drawn probability for an explored item, 1 for the others
 * (chosen by the deterministic ranking), which is what off-policy estimates need.
 */
import type { Config } from '../config/schema.ts';
import { requestRandom } from '../core/rng.ts';
import type { Recommendation } from './types.ts';

type Rule = Config['feedback']['exploration'][string];

/** what the policy reads from the engine's catalog */
export interface ExplorationCatalog {
  /** the scenario's available item ids */
  pool(scenario: string): readonly string[];
  /** an item as an answer shows it (its score and reasons are the slot's) */
  describe(item: string): Pick<Recommendation, 'item' | 'title' | 'scenario'> | undefined;
}

export class Exploration {
  private readonly shows = new Map<string, number>();

  constructor(
    private readonly rules: Readonly<Record<string, Rule>>,
    private readonly catalog: ExplorationCatalog,
  ) {}

  /**
   * Fills the scenario's exploration slots of `items` (a new array) and returns each item's
   * selection probability; undefined when the scenario has no exploration rule.
   */
  apply(
    scenario: string,
    id: string,
    items: readonly Recommendation[],
  ): { items: Recommendation[]; propensity: number[]; slots: Set<number> } | undefined {
    const rule = this.rules[scenario];
    if (!rule) return undefined;
    const out = [...items];
    const propensity = out.map(() => 1);
    const slots = new Set<number>();
    const rng = requestRandom(rule.seed, id);
    const taken = new Set(out.map((r) => r.item));
    for (let p = rule.every - 1; p < out.length; p += rule.every) {
      const eligible = this.catalog
        .pool(scenario)
        .filter((it) => !taken.has(it) && (this.shows.get(it) ?? 0) < rule.maxShows);
      if (eligible.length === 0) break;
      const weights = eligible.map((it) => 1 / (1 + (this.shows.get(it) ?? 0)));
      const total = weights.reduce((s, w) => s + w, 0);
      let r = rng() * total;
      let k = 0;
      while (k < eligible.length - 1 && r >= weights[k]!) r -= weights[k++]!;
      const pick = eligible[k]!;
      const shown = this.catalog.describe(pick);
      if (!shown) continue;
      taken.delete(out[p]!.item);
      taken.add(pick);
      out[p] = { ...shown, score: 0, reasons: { retriever: 'exploration', history: [], context: [] } };
      propensity[p] = weights[k]! / total;
      slots.add(p);
    }
    for (const r of out) this.shows.set(r.item, (this.shows.get(r.item) ?? 0) + 1);
    return { items: out, propensity, slots };
  }
}
