/**
 * The statistics of an experiment, pure: per-variant click-through, clicks per list and conversion
 * with 95 % intervals, each variant against the first (the control), and a verdict only when the
 * interval of the difference excludes 0. The unit is the impression (one served list): clicked when
 * at least one credited event of a click type followed it; its clicks are its distinct clicked
 * items. Click-through rewards a list for any click and so favours lists that spread over a user's
 * tastes; clicks per list counts what interleaving credits, and is the metric to compare with it. For interleaving, each list with a credited
 * click is a duel the team with more clicked items wins; the interval is on the mean outcome per
 * list (+1 a win of the second variant, -1 of the first, 0 a tie or no click), from a sign test
 * on the decisive lists.
 */
import type { Attribution, Impression } from '../store/data/types.ts';
import type { Experiment } from './experiments.ts';

/** the 97.5 % normal quantile: two-sided 95 % intervals */
export const Z95 = 1.959963984540054;

export interface Rate {
  /** successes / trials */
  rate: number;
  /** Wilson score interval, 95 % */
  low: number;
  high: number;
}

/** the Wilson score interval (good near 0 and 1, where click-through lives) */
export function wilson(successes: number, trials: number): Rate {
  if (trials === 0) return { rate: 0, low: 0, high: 1 };
  const p = successes / trials;
  const z2 = Z95 * Z95;
  const den = 1 + z2 / trials;
  const mid = (p + z2 / (2 * trials)) / den;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / den;
  return { rate: p, low: Math.max(0, mid - half), high: Math.min(1, mid + half) };
}

export interface Difference {
  /** treatment rate minus control rate */
  diff: number;
  low: number;
  high: number;
  verdict: 'better' | 'worse' | 'inconclusive';
}

/** a mean with its 95 % normal interval */
interface Mean {
  mean: number;
  low: number;
  high: number;
}

function meanOf(sum: number, sumSq: number, n: number): Mean & { variance: number } {
  if (n === 0) return { mean: 0, low: 0, high: 0, variance: 0 };
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumSq - n * mean * mean) / (n - 1)) : 0;
  const half = Z95 * Math.sqrt(variance / n);
  return { mean, low: Math.max(0, mean - half), high: mean + half, variance };
}

/** difference of two means with the unpooled (Welch) normal interval */
function meanDifference(
  a: { mean: number; variance: number },
  na: number,
  b: { mean: number; variance: number },
  nb: number,
): Difference {
  if (na < 2 || nb < 2)
    return { diff: a.mean - b.mean, low: -Infinity, high: Infinity, verdict: 'inconclusive' };
  const diff = a.mean - b.mean;
  const half = Z95 * Math.sqrt(a.variance / na + b.variance / nb);
  return { diff, low: diff - half, high: diff + half, verdict: verdictOf(diff - half, diff + half) };
}

function verdictOf(low: number, high: number): Difference['verdict'] {
  return low > 0 ? 'better' : high < 0 ? 'worse' : 'inconclusive';
}

/**
 * Difference of two proportions with Newcombe's hybrid score interval (built from each rate's
 * Wilson interval): unlike the plain normal interval it stays honest on small samples and rates
 * near 0, where a handful of lists with one click each would otherwise look decisive.
 */
export function difference(s1: number, n1: number, s0: number, n0: number): Difference {
  if (n1 === 0 || n0 === 0) return { diff: 0, low: -1, high: 1, verdict: 'inconclusive' };
  const a = wilson(s1, n1);
  const b = wilson(s0, n0);
  const diff = a.rate - b.rate;
  const low = diff - Math.sqrt((a.rate - a.low) ** 2 + (b.high - b.rate) ** 2);
  const high = diff + Math.sqrt((a.high - a.rate) ** 2 + (b.rate - b.low) ** 2);
  return { diff, low, high, verdict: verdictOf(low, high) };
}

interface VariantStats {
  variant: string;
  impressions: number;
  users: number;
  clicked: number;
  converted: number;
  clickThrough: Rate;
  /** distinct clicked items per list */
  clicksPerList: Mean;
  conversion: Rate;
  /** against the control (the first variant); absent for the control itself */
  vsControl?: { clickThrough: Difference; clicksPerList: Difference; conversion: Difference };
}

export interface InterleavingStats {
  /** lists shown */
  impressions: number;
  /** lists whose credited clicks favoured each variant, and lists with clicks but a tie */
  wins: Record<string, number>;
  ties: number;
  /** mean outcome per list (+1: second variant won, -1: first), with its 95 % interval */
  preference: Difference;
}

export interface ExperimentStats {
  experiment: string;
  scenario: string;
  kind: Experiment['kind'];
  status: Experiment['status'];
  variants: VariantStats[];
  interleaving?: InterleavingStats;
  /** credited events of a type counted neither as click nor conversion are ignored */
  attributions: number;
}

interface Counts {
  impressions: number;
  users: Set<string>;
  clicked: number;
  /** sum and sum of squares of each list's distinct clicked items */
  clicks: number;
  clicksSq: number;
  converted: number;
}

const noCounts = (): Counts => ({
  impressions: 0,
  users: new Set(),
  clicked: 0,
  clicks: 0,
  clicksSq: 0,
  converted: 0,
});

interface Types {
  click: ReadonlySet<string>;
  conversion: ReadonlySet<string>;
}

/** Accumulates an experiment's impressions and their attributions, a page at a time. */
export class ExperimentTally {
  private readonly perVariant = new Map<string, Counts>();
  private wins = new Map<string, number>();
  private ties = 0;
  private outcomes = { n: 0, sum: 0 };
  private attributions = 0;

  constructor(
    private readonly e: Experiment,
    private readonly types: Types,
  ) {
    for (const v of e.variants) {
      this.perVariant.set(v.name, noCounts());
      this.wins.set(v.name, 0);
    }
  }

  add(impressions: readonly Impression[], attributions: readonly Attribution[]): void {
    const byImpression = new Map<string, Attribution[]>();
    for (const a of attributions) {
      this.attributions++;
      const list = byImpression.get(a.impression);
      if (list) list.push(a);
      else byImpression.set(a.impression, [a]);
    }
    for (const imp of impressions) {
      const credited = byImpression.get(imp.id) ?? [];
      const clicks = credited.filter((a) => this.types.click.has(a.type));
      const conversions = credited.filter((a) => this.types.conversion.has(a.type));
      if (this.e.kind === 'interleave') this.duel(imp, clicks, conversions);
      else {
        const v = this.perVariant.get(imp.variant ?? '');
        if (!v) continue;
        v.impressions++;
        v.users.add(imp.user);
        const distinct = new Set(clicks.map((a) => a.item)).size;
        if (distinct > 0) v.clicked++;
        v.clicks += distinct;
        v.clicksSq += distinct * distinct;
        if (conversions.length > 0) v.converted++;
      }
    }
  }

  /** one interleaved list: each team's distinct clicked items; a conversion credits its item's team */
  private duel(imp: Impression, clicks: readonly Attribution[], conversions: readonly Attribution[]): void {
    const [first, second] = this.e.variants.map((v) => v.name) as [string, string];
    const teamOf = new Map(imp.items.map((x) => [x.item, x.team]));
    const clicked = new Set(clicks.map((a) => a.item));
    let a = 0;
    let b = 0;
    for (const item of clicked) {
      const team = teamOf.get(item);
      if (team === first) a++;
      else if (team === second) b++;
    }
    // both variants "showed" every interleaved list
    for (const name of [first, second]) {
      const v = this.perVariant.get(name)!;
      v.impressions++;
      v.users.add(imp.user);
    }
    for (const [name, k] of [
      [first, a],
      [second, b],
    ] as const) {
      const v = this.perVariant.get(name)!;
      if (k > 0) v.clicked++;
      v.clicks += k;
      v.clicksSq += k * k;
    }
    const convertedBy = new Set(conversions.map((c) => teamOf.get(c.item)));
    for (const name of [first, second]) if (convertedBy.has(name)) this.perVariant.get(name)!.converted++;
    const outcome = b > a ? 1 : a > b ? -1 : 0;
    if (outcome > 0) this.wins.set(second, this.wins.get(second)! + 1);
    else if (outcome < 0) this.wins.set(first, this.wins.get(first)! + 1);
    else if (a + b > 0) this.ties++;
    this.outcomes.n++;
    this.outcomes.sum += outcome;
  }

  result(): ExperimentStats {
    const e = this.e;
    const rows = e.variants.map((v) => {
      const t = this.perVariant.get(v.name)!;
      return {
        variant: v.name,
        ...t,
        users: t.users.size,
        perList: meanOf(t.clicks, t.clicksSq, t.impressions),
      };
    });
    const control = rows[0]!;
    const variants: VariantStats[] = rows.map((r, i) => ({
      variant: r.variant,
      impressions: r.impressions,
      users: r.users,
      clicked: r.clicked,
      converted: r.converted,
      clickThrough: wilson(r.clicked, r.impressions),
      clicksPerList: { mean: r.perList.mean, low: r.perList.low, high: r.perList.high },
      conversion: wilson(r.converted, r.impressions),
      ...(i > 0 && e.kind === 'ab'
        ? {
            vsControl: {
              clickThrough: difference(r.clicked, r.impressions, control.clicked, control.impressions),
              clicksPerList: meanDifference(r.perList, r.impressions, control.perList, control.impressions),
              conversion: difference(r.converted, r.impressions, control.converted, control.impressions),
            },
          }
        : {}),
    }));
    return {
      experiment: e.id,
      scenario: e.scenario,
      kind: e.kind,
      status: e.status,
      variants,
      ...(e.kind === 'interleave' ? { interleaving: this.interleaving() } : {}),
      attributions: this.attributions,
    };
  }

  /**
   * The preference for the second variant: the mean outcome per list, with the interval of a sign
   * test (the Wilson interval of the second variant's share of the decisive lists, scaled by the
   * share of lists that were decisive).
   */
  private interleaving(): InterleavingStats {
    const n = this.outcomes.n;
    const [first, second] = this.e.variants.map((v) => v.name) as [string, string];
    const a = this.wins.get(first)!;
    const b = this.wins.get(second)!;
    const decisive = a + b;
    const share = wilson(b, decisive);
    const scale = n > 0 ? decisive / n : 0;
    const low = (2 * share.low - 1) * scale;
    const high = (2 * share.high - 1) * scale;
    return {
      impressions: n,
      wins: Object.fromEntries(this.wins),
      ties: this.ties,
      preference: {
        diff: n > 0 ? this.outcomes.sum / n : 0,
        low,
        high,
        verdict: decisive === 0 ? 'inconclusive' : verdictOf(low, high),
      },
    };
  }
}
