import { rng } from '../rank.ts';
import type { EvalData, EvalModel, EvalQuery, FitOptions } from '../types.ts';
import { dedupeKeepLast, gridOf, trainSequences, yieldToEventLoop } from './common.ts';
import { round } from './itemknn.ts';

export interface BprParams {
  dim: number;
  reg: number;
  lr: number;
  /** epochs chosen by early stopping on valid */
  epochs: number;
}

const MAX_EPOCHS = 100;
const CHECK_EVERY = 5;
const FOLD_IN_EPOCHS = 30;

/**
 * BPR-MF (Rendle et al. 2009): user and item factors plus an item bias, trained by seeded SGD on
 * (user, seen item, unseen item) triples. A user the model never trained on (the held-out users of
 * food-kitchen) is folded in at query time: a user vector fitted to their history by the same loss
 * with the item factors frozen, seeded by the user id, so scoring stays deterministic.
 */
export class Bpr implements EvalModel {
  readonly name = 'bpr';
  private chosen: BprParams = { dim: 64, reg: 0.001, lr: 0.05, epochs: 0 };
  private validNdcg = 0;
  private userIndex = new Map<string, number>();
  private seqs: number[][] = [];
  private sets: Set<number>[] = [];
  /** every (user, item) training pair, sampled uniformly */
  private pairUser = new Int32Array(0);
  private pairItem = new Int32Array(0);
  private P: Float32Array = new Float32Array(0);
  private Q: Float32Array = new Float32Array(0);
  private bias: Float32Array = new Float32Array(0);
  private numItems = 0;
  private seed = 0;

  constructor(
    private readonly grid: { dim: number; reg: number; lr: number }[] = gridOf({
      dim: [64],
      reg: [0.003, 0.01],
      lr: [0.1],
    }),
    private readonly trace?: (p: BprParams, valid: number) => void,
  ) {}

  params(): Record<string, number | string | boolean> {
    return { ...this.chosen, validNdcg10: round(this.validNdcg) };
  }

  async fit(data: EvalData, opts: FitOptions): Promise<void> {
    this.numItems = data.itemIds.length;
    this.seed = opts.seed;
    this.seqs = trainSequences(data);
    this.sets = this.seqs.map((s) => new Set(s));
    const pairs = this.seqs.flatMap((s, u) => s.map((i) => [u, i] as const));
    this.pairUser = Int32Array.from(pairs, (p) => p[0]);
    this.pairItem = Int32Array.from(pairs, (p) => p[1]);
    this.userIndex = new Map(data.users.map((u, i) => [u.user, i]));
    let best: { p: BprParams; score: number; P: Float32Array; Q: Float32Array; b: Float32Array } | undefined;
    const total = this.grid.length * MAX_EPOCHS;
    let done = 0;
    for (const g of this.grid) {
      const lr = g.lr;
      this.init(g.dim, opts.seed);
      const random = rng(opts.seed + 17);
      let localBest = Number.NEGATIVE_INFINITY;
      let bad = 0;
      for (let epoch = 1; epoch <= MAX_EPOCHS; epoch++) {
        await yieldToEventLoop();
        opts.signal?.throwIfAborted();
        this.epoch(g.dim, lr, g.reg, random);
        opts.onProgress?.(++done, total, 'bpr training');
        if (epoch % CHECK_EVERY !== 0) continue;
        this.chosen = { dim: g.dim, reg: g.reg, lr, epochs: epoch };
        const s = opts.objective((q) => this.score(q));
        this.trace?.(this.chosen, s);
        if (s > localBest) {
          localBest = s;
          bad = 0;
          if (!best || s > best.score) {
            best = { p: this.chosen, score: s, P: this.P.slice(), Q: this.Q.slice(), b: this.bias.slice() };
          }
        } else if (++bad >= 3) break;
      }
      done = Math.ceil(done / MAX_EPOCHS) * MAX_EPOCHS;
    }
    if (!best) throw new Error('bpr: empty grid');
    this.chosen = best.p;
    this.validNdcg = best.score;
    this.P = best.P;
    this.Q = best.Q;
    this.bias = best.b;
  }

  score(query: EvalQuery): Float32Array {
    const d = this.chosen.dim;
    const u = this.userIndex.get(query.user);
    const p = u === undefined ? this.foldIn(query) : this.P.subarray(u * d, (u + 1) * d);
    const scores = new Float32Array(this.numItems);
    for (let i = 0; i < this.numItems; i++) {
      let s = this.bias[i]!;
      const o = i * d;
      for (let k = 0; k < d; k++) s += p[k]! * this.Q[o + k]!;
      scores[i] = s;
    }
    return scores;
  }

  private init(dim: number, seed: number): void {
    const r = rng(seed);
    const gauss = () => (r() + r() + r() - 1.5) * 0.05;
    this.P = Float32Array.from({ length: this.seqs.length * dim }, gauss);
    this.Q = Float32Array.from({ length: this.numItems * dim }, gauss);
    this.bias = new Float32Array(this.numItems);
  }

  /** one pass of as many sampled triples as there are distinct training pairs */
  private epoch(d: number, lr: number, reg: number, random: () => number): void {
    const sets = this.sets;
    const { pairUser, pairItem } = this;
    for (let n = 0; n < pairUser.length; n++) {
      const p = Math.floor(random() * pairUser.length);
      const u = pairUser[p]!;
      const i = pairItem[p]!;
      let j = Math.floor(random() * this.numItems);
      while (sets[u]!.has(j)) j = Math.floor(random() * this.numItems);
      this.step(this.P, u * d, i, j, d, lr, reg, true);
    }
  }

  /** SGD on -ln sigmoid(x_ui - x_uj); item factors move only when `updateItems` */
  private step(
    P: Float32Array,
    po: number,
    i: number,
    j: number,
    d: number,
    lr: number,
    reg: number,
    updateItems: boolean,
  ): void {
    const Q = this.Q;
    const oi = i * d;
    const oj = j * d;
    let x = this.bias[i]! - this.bias[j]!;
    for (let k = 0; k < d; k++) x += P[po + k]! * (Q[oi + k]! - Q[oj + k]!);
    const g = 1 / (1 + Math.exp(x));
    for (let k = 0; k < d; k++) {
      const pu = P[po + k]!;
      const qi = Q[oi + k]!;
      const qj = Q[oj + k]!;
      P[po + k] = pu + lr * (g * (qi - qj) - reg * pu);
      if (updateItems) {
        Q[oi + k] = qi + lr * (g * pu - reg * qi);
        Q[oj + k] = qj + lr * (-g * pu - reg * qj);
      }
    }
    if (updateItems) {
      this.bias[i] = this.bias[i]! + lr * (g - reg * this.bias[i]!);
      this.bias[j] = this.bias[j]! + lr * (-g - reg * this.bias[j]!);
    }
  }

  private foldIn(query: EvalQuery): Float32Array {
    const d = this.chosen.dim;
    const p = new Float32Array(d);
    const items = dedupeKeepLast(query.history);
    if (items.length === 0) return p;
    const seen = new Set(items);
    const random = rng(this.seed ^ hash(query.user));
    for (let e = 0; e < FOLD_IN_EPOCHS; e++) {
      for (let n = 0; n < items.length; n++) {
        const i = items[Math.floor(random() * items.length)]!;
        let j = Math.floor(random() * this.numItems);
        while (seen.has(j)) j = Math.floor(random() * this.numItems);
        this.step(p, 0, i, j, d, this.chosen.lr, this.chosen.reg, false);
      }
    }
    return p;
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
