/**
 * The forward pass of the sequential model (./model.ts), the one both training (./net.ts, over a
 * batch's Float64 item caches) and scoring (./scorer.ts, over the Float32 item table) run: an
 * item's e and h; a history's position inputs x and attention weights alpha; the pooled u, Wo u
 * and the user state z. The caller chooses the precision of the h rows it reads and the z it
 * writes; the arithmetic is the same.
 */
import type { SeqWeights } from './params.ts';
import { type SasCache, sasCache, sasForward } from './sasrec.ts';

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
  for (let k = 0; k < d; k++) {
    let v = warm ? emb[i * d + k]! : 0;
    if (T > 0) {
      const wo = k * T;
      const xo = i * T;
      for (let j = 0; j < T; j++) v += wt[wo + j]! * x[xo + j]!;
    }
    e[eOff + k] = v;
    h[off + k] = v * scale[s + k]! + shift[s + k]!;
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
  /** sum_t alpha_t x_t */
  u: Float64Array;
  /** Wo u (z before the scenario's query factor); sasrec: Wo o of the newest position */
  v: Float64Array;
  /** the self-attention blocks' values (sasrec only) */
  sas: SasCache | undefined;
}

export function userPass(w: SeqWeights): UserPass {
  const { dim: d, maxLen: L } = w.shape;
  return {
    n: 0,
    x: new Float64Array(L * d),
    alpha: new Float64Array(L),
    u: new Float64Array(d),
    v: new Float64Array(d),
    sas: w.shape.arch === 'sasrec' ? sasCache(w) : undefined,
  };
}

/**
 * x and alpha of the last maxLen items of `hist` (item i's h at row i of `h`) into `pass`; the
 * number of positions, 0 for an empty history.
 */
export function attend(
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
  let amax = -Infinity;
  for (let t = 0; t < n; t++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += P.attn[k]! * x[lo + k]! * x[t * d + k]!;
    alpha[t] = s / sqrtD + P.posBias[n - 1 - t]!;
    if (alpha[t]! > amax) amax = alpha[t]!;
  }
  let sum = 0;
  for (let t = 0; t < n; t++) {
    alpha[t] = Math.exp(alpha[t]! - amax);
    sum += alpha[t]!;
  }
  for (let t = 0; t < n; t++) alpha[t]! /= sum;
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
  for (let r = 0; r < d; r++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += P.wo[r * d + k]! * u[k]!;
    v[r] = s;
    z[r] = s * P.query[scenario * d + r]!;
  }
  return true;
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
  sasState(w, c, n - 1, scenario, pass.v, z);
  return true;
}

/** sasrec: the user state z in a scenario from position t's output o_t, and v = Wo o_t */
export function sasState(
  w: SeqWeights,
  c: SasCache,
  t: number,
  scenario: number,
  v: Float64Array,
  z: Float64Array | Float32Array,
): void {
  const d = w.shape.dim;
  const P = w.params;
  const oo = t * d;
  for (let r = 0; r < d; r++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += P.wo[r * d + k]! * c.o[oo + k]!;
    v[r] = s;
    z[r] = s * P.query[scenario * d + r]!;
  }
}
