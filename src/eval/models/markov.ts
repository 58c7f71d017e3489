import type { EvalData, EvalModel, EvalQuery, FitOptions } from '../types.ts';
import { gridOf, interactionCounts, tune } from './common.ts';
import { round } from './itemknn.ts';

export interface MarkovParams {
  /** weight of popularity added to the transition probabilities (backoff and tie-breaking) */
  backoff: number;
  /** also count j -> i for every observed i -> j (helps when the order is noisy) */
  symmetric: boolean;
}

/**
 * First-order item transitions: P(next = j | last = i) from consecutive training interactions.
 * The query's last item that has any transition into the target scenario is used (a user's very
 * last item may sit in another scenario or never have been followed by anything); popularity fills
 * in below, weighted by the tuned backoff.
 */
export class Markov implements EvalModel {
  readonly name = 'markov';
  private chosen: MarkovParams = { backoff: 0.01, symmetric: false };
  private validNdcg = 0;
  private pop = new Float32Array(0);
  private tables = new Map<
    boolean,
    { offsets: Int32Array; next: Int32Array; prob: Float32Array; scen: string[][] }
  >();

  params(): Record<string, number | string | boolean> {
    return { ...this.chosen, validNdcg10: round(this.validNdcg) };
  }

  async fit(data: EvalData, opts: FitOptions): Promise<void> {
    const counts = interactionCounts(data);
    let total = 0;
    for (const c of counts) total += c;
    this.pop = counts.map((c) => c / Math.max(1, total));
    for (const symmetric of [false, true]) this.tables.set(symmetric, build(data, symmetric));
    const r = await tune(
      'markov',
      gridOf({ backoff: [0.001, 0.01, 0.1, 1], symmetric: [false, true] }),
      (p) => {
        this.chosen = p;
        return opts.objective((q) => this.score(q));
      },
      opts,
    );
    this.chosen = r.best;
    this.validNdcg = r.score;
  }

  score(query: EvalQuery): Float32Array {
    const t = this.tables.get(this.chosen.symmetric)!;
    const scores = new Float32Array(this.pop.length);
    const b = this.chosen.backoff;
    for (let i = 0; i < scores.length; i++) scores[i] = b * this.pop[i]!;
    for (let p = query.history.length - 1; p >= 0; p--) {
      const last = query.history[p]!.item;
      if (!t.scen[last]!.includes(query.scenario)) continue;
      for (let k = t.offsets[last]!; k < t.offsets[last + 1]!; k++) scores[t.next[k]!]! += t.prob[k]!;
      break;
    }
    return scores;
  }
}

function build(data: EvalData, symmetric: boolean) {
  const n = data.itemIds.length;
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  const add = (a: number, b: number) => rows[a]!.set(b, (rows[a]!.get(b) ?? 0) + 1);
  for (const u of data.users) {
    for (let p = 1; p < u.train.length; p++) {
      const a = u.train[p - 1]!.item;
      const b = u.train[p]!.item;
      if (a === b) continue;
      add(a, b);
      if (symmetric) add(b, a);
    }
  }
  const offsets = new Int32Array(n + 1);
  const next: number[] = [];
  const prob: number[] = [];
  const scen: string[][] = [];
  rows.forEach((row, i) => {
    let total = 0;
    for (const c of row.values()) total += c;
    const targets = new Set<string>();
    for (const [j, c] of [...row.entries()].sort((x, y) => x[0] - y[0])) {
      next.push(j);
      prob.push(c / total);
      targets.add(data.itemScenario[j]!);
    }
    scen.push([...targets]);
    offsets[i + 1] = next.length;
  });
  return { offsets, next: Int32Array.from(next), prob: Float32Array.from(prob), scen };
}
