import type { EvalData, EvalModel, EvalQuery, FitOptions } from '../types.ts';
import { interactionCounts, recencyWeighted, trainSequences, tune, yieldToEventLoop } from './common.ts';

export interface ItemKnnParams {
  /** neighbours kept per item */
  neighbours: number;
  /** shrinkage added to the cosine's denominator: damps similarities built on few co-occurrences */
  shrink: number;
  /** weight of the k-th most recent history item = decay^k */
  decay: number;
}

interface Neighbourhoods {
  offsets: Int32Array;
  items: Int32Array;
  sims: Float32Array;
}

/**
 * Item-based k-nearest neighbours: cosine similarity of items' co-occurrence across training users,
 * scored against a recency-weighted history. Tuned on valid over neighbourhood size, shrinkage and
 * recency decay. Popularity breaks ties far below any real similarity.
 *
 * `crossScenario`: the cross-scenario baseline. Only pairs of items of different scenarios
 * co-occur (a user's food items with their kitchen items), so an item's neighbours all lie in
 * other scenarios, and a query is scored from its history in scenarios other than the target's:
 * what a user with no history in the target scenario can be recommended from their other
 * scenarios alone. Its tuning queries ignore their target-scenario history by construction.
 */
export class ItemKnn implements EvalModel {
  readonly name: string;
  private chosen: ItemKnnParams = { neighbours: 100, shrink: 0, decay: 1 };
  private validNdcg = 0;
  private hood: Neighbourhoods = {
    offsets: new Int32Array(1),
    items: new Int32Array(0),
    sims: new Float32Array(0),
  };
  private prior = new Float32Array(0);
  private numItems = 0;
  /** raw co-occurrence rows (item -> [neighbour, users in common]) and users per item */
  private rows: { items: Int32Array; counts: Float32Array }[] = [];
  private userCount = new Float32Array(0);

  constructor(
    private readonly fixed?: ItemKnnParams,
    private readonly crossScenario = false,
  ) {
    this.name = crossScenario ? 'itemknn-cross' : 'itemknn';
  }

  params(): Record<string, number | string | boolean> {
    return { ...this.chosen, validNdcg10: round(this.validNdcg) };
  }

  async fit(data: EvalData, opts: FitOptions): Promise<void> {
    this.numItems = data.itemIds.length;
    this.cooccurrence(data, opts);
    const counts = interactionCounts(data);
    let max = 1;
    for (const c of counts) max = Math.max(max, c);
    this.prior = counts.map((c) => (1e-6 * c) / max);
    if (this.fixed) {
      this.chosen = this.fixed;
      this.hood = this.neighbourhoods(this.fixed.neighbours, this.fixed.shrink);
      this.rows = [];
      return;
    }
    // shrink and size change the neighbourhoods, decay only the scoring: sort each item's
    // neighbours once per shrink, then every size is a prefix of that order
    const sizes = [20, 50, 100, 200];
    const shrinks = [0, 10, 50];
    let best = { p: this.chosen, score: Number.NEGATIVE_INFINITY };
    let step = 0;
    for (const shrink of shrinks) {
      await yieldToEventLoop();
      opts.signal?.throwIfAborted();
      const widest = this.neighbourhoods(Math.max(...sizes), shrink);
      for (const neighbours of sizes) {
        this.hood = truncate(widest, neighbours);
        const r = await tune(
          'itemknn',
          [1, 0.8, 0.5, 0.25].map((decay) => ({ neighbours, shrink, decay })),
          (p) => {
            this.chosen = p;
            return opts.objective((q) => this.score(q));
          },
          { ...opts, onProgress: undefined },
        );
        if (r.score > best.score) best = { p: r.best, score: r.score };
        opts.onProgress?.(++step, sizes.length * shrinks.length, 'itemknn tuning');
      }
    }
    this.chosen = best.p;
    this.validNdcg = best.score;
    this.hood = this.neighbourhoods(best.p.neighbours, best.p.shrink);
    this.rows = [];
  }

  score(query: EvalQuery): Float32Array {
    const scores = Float32Array.from(this.prior);
    const { offsets, items, sims } = this.hood;
    const history = this.crossScenario
      ? query.history.filter((e) => e.scenario !== query.scenario)
      : query.history;
    for (const { item, w } of recencyWeighted(history, this.chosen.decay)) {
      for (let p = offsets[item]!; p < offsets[item + 1]!; p++) scores[items[p]!]! += w * sims[p]!;
    }
    return scores;
  }

  private cooccurrence(data: EvalData, opts: FitOptions): void {
    const seqs = trainSequences(data);
    const scenario = data.itemScenario;
    const byItem: number[][] = Array.from({ length: this.numItems }, () => []);
    seqs.forEach((s, u) => {
      for (const i of s) byItem[i]!.push(u);
    });
    this.userCount = Float32Array.from(byItem, (us) => us.length);
    const acc = new Float32Array(this.numItems);
    const touched: number[] = [];
    this.rows = byItem.map((users, i) => {
      if (i % 2000 === 0) opts.signal?.throwIfAborted();
      for (const u of users) {
        for (const j of seqs[u]!) {
          if (j === i || (this.crossScenario && scenario[j] === scenario[i])) continue;
          if (acc[j] === 0) touched.push(j);
          acc[j]! += 1;
        }
      }
      const row = { items: Int32Array.from(touched), counts: Float32Array.from(touched, (j) => acc[j]!) };
      for (const j of touched) acc[j] = 0;
      touched.length = 0;
      return row;
    });
  }

  private neighbourhoods(k: number, shrink: number): Neighbourhoods {
    const offsets = new Int32Array(this.numItems + 1);
    const items: number[] = [];
    const sims: number[] = [];
    for (let i = 0; i < this.numItems; i++) {
      const row = this.rows[i]!;
      const ci = this.userCount[i]!;
      const cand = Array.from(row.items, (j, p) => ({
        j,
        s: row.counts[p]! / (Math.sqrt(ci * this.userCount[j]!) + shrink),
      }));
      cand.sort((a, b) => b.s - a.s || a.j - b.j);
      for (const c of cand.slice(0, k)) {
        items.push(c.j);
        sims.push(c.s);
      }
      offsets[i + 1] = items.length;
    }
    return { offsets, items: Int32Array.from(items), sims: Float32Array.from(sims) };
  }
}

/** the first `k` neighbours of every item of a wider neighbourhood */
function truncate(h: Neighbourhoods, k: number): Neighbourhoods {
  const n = h.offsets.length - 1;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + Math.min(k, h.offsets[i + 1]! - h.offsets[i]!);
  const items = new Int32Array(offsets[n]!);
  const sims = new Float32Array(offsets[n]!);
  for (let i = 0; i < n; i++) {
    const len = offsets[i + 1]! - offsets[i]!;
    items.set(h.items.subarray(h.offsets[i]!, h.offsets[i]! + len), offsets[i]!);
    sims.set(h.sims.subarray(h.offsets[i]!, h.offsets[i]! + len), offsets[i]!);
  }
  return { offsets, items, sims };
}

export function round(x: number, digits = 5): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
