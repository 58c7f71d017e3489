/**
 * The forward pass of the sequential model (./model.ts), the one both training (./net.ts, over a
 * batch's Float64 item caches) and scoring (./scorer.ts, over the Float32 item table) run: an
 * item's e and h; a history's position inputs x and attention weights alpha; the pooled u, Wo u
 * and the user state z. The caller chooses the precision of the h rows it reads and the z it
 * writes; the arithmetic is the same.
 */
import type { SeqWeights } from './params.ts';
import { type SasCache, sasCache, sasForward } from './sasrec.ts';
import { scenarioState } from './scenario-state.ts';

/** e and h of item i into the given rows */
export function itemForward(
  w: SeqWeights,
  i: number,
  e: Float64Array | Float32Array,
  eOff: number,
  h: Float64Array | Float32Array,
  off: number,
): void {
  const d = w.shape.dim;
  const { wt, emb, scale, shift } = w.params;
  const T = w.shape.textDim;
  const x = w.inputs.text;
  const warm = w.inputs.warm[i] === 1;
  const s = w.inputs.scenario[i]! * d;
  const xo = i * T;
  let k = 0;
  // with text, four rows of Wt at a time (independent sums, each over j in order)
  if (T > 0)
    for (; k + 4 <= d; k += 4) {
      let v0 = warm ? emb[i * d + k]! : 0;
      let v1 = warm ? emb[i * d + k + 1]! : 0;
      let v2 = warm ? emb[i * d + k + 2]! : 0;
      let v3 = warm ? emb[i * d + k + 3]! : 0;
      const w0 = k * T;
      const w1 = w0 + T;
      const w2 = w1 + T;
      const w3 = w2 + T;
      for (let j = 0; j < T; j++) {
        const xj = x[xo + j]!;
        v0 += wt[w0 + j]! * xj;
        v1 += wt[w1 + j]! * xj;
        v2 += wt[w2 + j]! * xj;
        v3 += wt[w3 + j]! * xj;
      }
      e[eOff + k] = v0;
      e[eOff + k + 1] = v1;
      e[eOff + k + 2] = v2;
      e[eOff + k + 3] = v3;
      h[off + k] = v0 * scale[s + k]! + shift[s + k]!;
      h[off + k + 1] = v1 * scale[s + k + 1]! + shift[s + k + 1]!;
      h[off + k + 2] = v2 * scale[s + k + 2]! + shift[s + k + 2]!;
      h[off + k + 3] = v3 * scale[s + k + 3]! + shift[s + k + 3]!;
    }
  for (; k < d; k++) {
    let v = warm ? emb[i * d + k]! : 0;
    if (T > 0) {
      const wo = k * T;
      for (let j = 0; j < T; j++) v += wt[wo + j]! * x[xo + j]!;
    }
    e[eOff + k] = v;
    h[off + k] = v * scale[s + k]! + shift[s + k]!;
  }
}

/**
 * itemForward of two items into their own rows (row i of e and h for item i), with text four rows
 * of Wt and both items per pass: each value's sum is the one itemForward makes, to the bit.
 */
export function itemForwardPair(w: SeqWeights, i: number, j: number, e: Float64Array, h: Float64Array): void {
  const d = w.shape.dim;
  const T = w.shape.textDim;
  if (T === 0 || d % 4 !== 0) {
    itemForward(w, i, e, i * d, h, i * d);
    itemForward(w, j, e, j * d, h, j * d);
    return;
  }
  const { wt, emb, scale, shift } = w.params;
  const x = w.inputs.text;
  const warmI = w.inputs.warm[i] === 1;
  const warmJ = w.inputs.warm[j] === 1;
  const si = w.inputs.scenario[i]! * d;
  const sj = w.inputs.scenario[j]! * d;
  const xi = i * T;
  const xj = j * T;
  const oi = i * d;
  const oj = j * d;
  for (let k = 0; k < d; k += 4) {
    let a0 = warmI ? emb[oi + k]! : 0;
    let a1 = warmI ? emb[oi + k + 1]! : 0;
    let a2 = warmI ? emb[oi + k + 2]! : 0;
    let a3 = warmI ? emb[oi + k + 3]! : 0;
    let b0 = warmJ ? emb[oj + k]! : 0;
    let b1 = warmJ ? emb[oj + k + 1]! : 0;
    let b2 = warmJ ? emb[oj + k + 2]! : 0;
    let b3 = warmJ ? emb[oj + k + 3]! : 0;
    const w0 = k * T;
    const w1 = w0 + T;
    const w2 = w1 + T;
    const w3 = w2 + T;
    for (let t = 0; t < T; t++) {
      const p = x[xi + t]!;
      const q = x[xj + t]!;
      const c0 = wt[w0 + t]!;
      const c1 = wt[w1 + t]!;
      const c2 = wt[w2 + t]!;
      const c3 = wt[w3 + t]!;
      a0 += c0 * p;
      a1 += c1 * p;
      a2 += c2 * p;
      a3 += c3 * p;
      b0 += c0 * q;
      b1 += c1 * q;
      b2 += c2 * q;
      b3 += c3 * q;
    }
    e[oi + k] = a0;
    e[oi + k + 1] = a1;
    e[oi + k + 2] = a2;
    e[oi + k + 3] = a3;
    e[oj + k] = b0;
    e[oj + k + 1] = b1;
    e[oj + k + 2] = b2;
    e[oj + k + 3] = b3;
    h[oi + k] = a0 * scale[si + k]! + shift[si + k]!;
    h[oi + k + 1] = a1 * scale[si + k + 1]! + shift[si + k + 1]!;
    h[oi + k + 2] = a2 * scale[si + k + 2]! + shift[si + k + 2]!;
    h[oi + k + 3] = a3 * scale[si + k + 3]! + shift[si + k + 3]!;
    h[oj + k] = b0 * scale[sj + k]! + shift[sj + k]!;
    h[oj + k + 1] = b1 * scale[sj + k + 1]! + shift[sj + k + 1]!;
    h[oj + k + 2] = b2 * scale[sj + k + 2]! + shift[sj + k + 2]!;
    h[oj + k + 3] = b3 * scale[sj + k + 3]! + shift[sj + k + 3]!;
  }
}

/** the item's score bias: its own when warm, none when cold */
export function itemBias(w: SeqWeights, i: number): number {
  return w.inputs.warm[i] === 1 ? w.params.bias[i]! : 0;
}

/** one history's forward values, room for maxLen positions (reused from one history to the next) */
export interface UserPass {
  /** positions used: the last min(history length, maxLen) items, oldest first */
  n: number;
  /** maxLen x dim: x_t = h of the item + pos of its distance from the newest */
  x: Float64Array;
  /** softmax(a)_t */
  alpha: Float64Array;
  /** attn_k last_k (dim values) */
  q: Float64Array;
  /** sum_t alpha_t x_t */
  u: Float64Array;
  /** Wo u (z before the scenario's query factor); sasrec: Wo o of the newest position */
  v: Float64Array;
  /** the gate on v in the scenario last asked (all 1 without the gate) */
  g: Float64Array;
  /** the self-attention blocks' values (sasrec only) */
  sas: SasCache | undefined;
}

export function userPass(w: SeqWeights): UserPass {
  const { dim: d, maxLen: L } = w.shape;
  return {
    n: 0,
    x: new Float64Array(L * d),
    alpha: new Float64Array(L),
    q: new Float64Array(d),
    u: new Float64Array(d),
    v: new Float64Array(d),
    g: new Float64Array(d),
    sas: w.shape.arch === 'sasrec' ? sasCache(w) : undefined,
  };
}

/**
 * x and alpha of the last maxLen items of `hist` (item i's h at row i of `h`) into `pass`; the
 * number of positions, 0 for an empty history.
 */
function attend(
  w: SeqWeights,
  h: Float64Array | Float32Array,
  hist: ArrayLike<number>,
  pass: UserPass,
): number {
  const d = w.shape.dim;
  const P = w.params;
  const n = Math.min(hist.length, w.shape.maxLen);
  pass.n = n;
  if (n === 0) return 0;
  const { x, alpha } = pass;
  const start = hist.length - n;
  for (let t = 0; t < n; t++) {
    const ho = hist[start + t]! * d;
    const p = (n - 1 - t) * d;
    for (let k = 0; k < d; k++) x[t * d + k] = h[ho + k]! + P.pos[p + k]!;
  }
  const lo = (n - 1) * d;
  const sqrtD = Math.sqrt(d);
  // attn_k last_k, the left factor of every position's product (attn_k last_k x_t,k)
  const q = pass.q;
  for (let k = 0; k < d; k++) q[k] = P.attn[k]! * x[lo + k]!;
  let t = 0;
  // four positions at a time (independent sums, each over k in order)
  for (; t + 4 <= n; t += 4) {
    const o0 = t * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < d; k++) {
      const qk = q[k]!;
      s0 += qk * x[o0 + k]!;
      s1 += qk * x[o1 + k]!;
      s2 += qk * x[o2 + k]!;
      s3 += qk * x[o3 + k]!;
    }
    alpha[t] = s0 / sqrtD + P.posBias[n - 1 - t]!;
    alpha[t + 1] = s1 / sqrtD + P.posBias[n - 2 - t]!;
    alpha[t + 2] = s2 / sqrtD + P.posBias[n - 3 - t]!;
    alpha[t + 3] = s3 / sqrtD + P.posBias[n - 4 - t]!;
  }
  for (; t < n; t++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += q[k]! * x[t * d + k]!;
    alpha[t] = s / sqrtD + P.posBias[n - 1 - t]!;
  }
  let amax = -Infinity;
  for (t = 0; t < n; t++) if (alpha[t]! > amax) amax = alpha[t]!;
  let sum = 0;
  for (t = 0; t < n; t++) {
    alpha[t] = Math.exp(alpha[t]! - amax);
    sum += alpha[t]!;
  }
  for (t = 0; t < n; t++) alpha[t]! /= sum;
  return n;
}

/**
 * The user state z_s of `hist` for target scenario `scenario` into `z` (dim values), with the
 * pass's values along the way; false for an empty history (z untouched).
 */
export function userForward(
  w: SeqWeights,
  h: Float64Array | Float32Array,
  hist: ArrayLike<number>,
  scenario: number,
  pass: UserPass,
  z: Float64Array | Float32Array,
): boolean {
  if (pass.sas) return sasUserForward(w, h, hist, scenario, pass, pass.sas, z);
  const n = attend(w, h, hist, pass);
  if (n === 0) return false;
  const d = w.shape.dim;
  const P = w.params;
  const { x, alpha, u, v } = pass;
  u.fill(0);
  for (let t = 0; t < n; t++) for (let k = 0; k < d; k++) u[k]! += alpha[t]! * x[t * d + k]!;
  woTimes(P.wo, u, 0, d, v);
  scenarioState(w, v, scenario, z, pass.g);
  return true;
}

/**
 * out = Wo a, a = the d values of `a` from `off`: four rows at a time (independent sums), each
 * summed over k in order, as one row at a time would.
 */
function woTimes(wo: Float32Array, a: Float64Array, off: number, d: number, out: Float64Array): void {
  let r = 0;
  for (; r + 4 <= d; r += 4) {
    const w0 = r * d;
    const w1 = w0 + d;
    const w2 = w1 + d;
    const w3 = w2 + d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < d; k++) {
      const ak = a[off + k]!;
      s0 += wo[w0 + k]! * ak;
      s1 += wo[w1 + k]! * ak;
      s2 += wo[w2 + k]! * ak;
      s3 += wo[w3 + k]! * ak;
    }
    out[r] = s0;
    out[r + 1] = s1;
    out[r + 2] = s2;
    out[r + 3] = s3;
  }
  for (; r < d; r++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += wo[r * d + k]! * a[off + k]!;
    out[r] = s;
  }
}

/** userForward of the sasrec architecture: z from the output at the newest of the last maxLen items */
function sasUserForward(
  w: SeqWeights,
  h: Float64Array | Float32Array,
  hist: ArrayLike<number>,
  scenario: number,
  pass: UserPass,
  c: SasCache,
  z: Float64Array | Float32Array,
): boolean {
  const n = Math.min(hist.length, w.shape.maxLen);
  pass.n = n;
  if (n === 0) return false;
  sasForward(w, h, hist, hist.length - n, n, c, undefined);
  sasState(w, c, n - 1, scenario, pass.v, z, pass.g);
  return true;
}

/** sasrec: the user state z in a scenario from position t's output o_t, v = Wo o_t and its gate g */
export function sasState(
  w: SeqWeights,
  c: SasCache,
  t: number,
  scenario: number,
  v: Float64Array,
  z: Float64Array | Float32Array,
  g: Float64Array,
): void {
  const d = w.shape.dim;
  const P = w.params;
  woTimes(P.wo, c.o, t * d, d, v);
  scenarioState(w, v, scenario, z, g);
}
