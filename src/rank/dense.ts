/**
 * The dense per-item arrays a query accumulates its collaborative evidence in, and the scratch
 * that lends them to one query at a time.
 */
import type { ScoringModel } from '../model/scoring.ts';
import type { Query } from './query-types.ts';

/**
 * Divides each accumulator by its largest value over the target scenario's touched items (the
 * other scenarios' items are divided too, so they compare on the same scale) and returns the
 * divisors (1 where nothing was positive). One pass for the maxima and one for the division,
 * whatever the number of accumulators.
 */
export function normaliseInScenario(
  arrays: Accumulators,
  touched: ArrayLike<number>,
  m: ScoringModel,
  code: number,
): number[] {
  // named arrays rather than a loop over them: this runs on every first request of a profile
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = arrays;
  const sc = m.scenarioCode;
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  let m5 = 0;
  let m6 = 0;
  let m7 = 0;
  let m8 = 0;
  for (let t = 0; t < touched.length; t++) {
    const i = touched[t]!;
    if (sc[i] !== code) continue;
    if (a0[i]! > m0) m0 = a0[i]!;
    if (a1[i]! > m1) m1 = a1[i]!;
    if (a2[i]! > m2) m2 = a2[i]!;
    if (a3[i]! > m3) m3 = a3[i]!;
    if (a4[i]! > m4) m4 = a4[i]!;
    if (a5[i]! > m5) m5 = a5[i]!;
    if (a6[i]! > m6) m6 = a6[i]!;
    if (a7[i]! > m7) m7 = a7[i]!;
    if (a8[i]! > m8) m8 = a8[i]!;
  }
  const max = [m0, m1, m2, m3, m4, m5, m6, m7, m8];
  for (let k = 0; k < max.length; k++) {
    const a = arrays[k]!;
    const d = max[k]!;
    if (d > 0) for (let t = 0; t < touched.length; t++) a[touched[t]!]! /= d;
    else max[k] = 1;
  }
  return max;
}

export type Accumulators = [
  knnSame: Float32Array,
  knnCross: Float32Array,
  trans: Float32Array,
  ease: Float32Array,
  transCross: Float32Array,
  easeFused: Float32Array,
  attr: Float32Array,
  attrLast: Float32Array,
  attrCross: Float32Array,
];

/** a query's dense arrays: the accumulators, the marks of the items in `touched` and its buffer */
export interface Dense {
  arrays: Accumulators;
  mark: Uint8Array;
  touched: Int32Array;
}

export function dense(n: number): Dense {
  return {
    arrays: [
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
    ],
    mark: new Uint8Array(n),
    touched: new Int32Array(n),
  };
}

/**
 * The dense arrays of a query, lent to one query at a time and cleared afterwards through its
 * `touched` list: a request then allocates (and the collector frees) no numItems-long arrays.
 * Whoever borrows must `release` when done with the query.
 */
export class QueryScratch {
  private dense: Dense | undefined;
  /** the query holding the arrays; 'pending' between borrow and lend (a query that failed half-way
   * keeps them: later queries then allocate their own rather than read half-written arrays) */
  private lentTo: Query | 'pending' | undefined;

  /** the arrays when free and of the right size, else undefined (the caller allocates its own) */
  borrow(n: number): Dense | undefined {
    if (this.lentTo) return undefined;
    if (!this.dense || this.dense.mark.length !== n) this.dense = dense(n);
    this.lentTo = 'pending';
    return this.dense;
  }

  lend(q: Query): void {
    this.lentTo = q;
  }

  /** zeroes what the query wrote; its arrays must not be read afterwards */
  release(q: Query): void {
    if (this.lentTo !== q || !this.dense) return;
    const { arrays, mark } = this.dense;
    const t = q.touched;
    for (const a of arrays) for (let k = 0; k < t.length; k++) a[t[k]!] = 0;
    for (let k = 0; k < t.length; k++) mark[t[k]!] = 0;
    this.lentTo = undefined;
  }
}
