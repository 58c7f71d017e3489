/**
 * The SASRec-class history encoder (`seq.arch: "sasrec"`): causal self-attention blocks over the
 * items of a window, forward and hand-written backward, over Float64 caches.
 *
 *   x_t   = drop(h_(i_t) + pos_t)                  t = position from the window's oldest item
 *   block a = LN1(x);  q, k, v = Wq a, Wk a, Wv a   (pre-LN; H heads of d / H dims)
 *         c_t = sum_(u <= t) softmax_u(q_t . k_u / sqrt(d / H)) v_u      per head, causal
 *         x  = x + drop(Wa c)
 *         f = LN2(x);  x = x + drop(W2 relu(W1 f + b1) + b2)
 *   o_t   = LNf(x_t)
 *
 * Position t's output o_t reads the items 0..t only, so one pass over a training window gives
 * every position's next-item prediction, and the output at the newest item of a history is the
 * user's. Counting positions from the window's oldest item makes a training position's output
 * exactly the one scoring computes for that prefix (when it starts the sequence). Dropout is
 * training only, from a seeded stream per example, so a batch's gradient is deterministic.
 */
import type { SeqWeights } from './params.ts';

const EPS = 1e-5;

/** dropout of one example: rate and its seeded stream */
export interface Dropout {
  rate: number;
  rnd: () => number;
}

/** one window's forward values (for the backward) and backward scratch, room for maxLen positions */
export interface SasCache {
  n: number;
  /** input dropout mask (scale 0 or 1 / (1 - rate)), empty when the pass had no dropout */
  m0: Float64Array;
  drop: boolean;
  /** per block (layers x maxLen x d): its input, LN1's normalised input and output, q, k, v, c */
  xin: Float64Array;
  xh1: Float64Array;
  a: Float64Array;
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
  c: Float64Array;
  /** per block: after the attention's residual, LN2's normalised input and output */
  xmid: Float64Array;
  xh2: Float64Array;
  f: Float64Array;
  /** per block: W1 f + b1 (before the ReLU) */
  pre: Float64Array;
  /** per block: dropout masks after the attention and after the feed-forward layer */
  m1: Float64Array;
  m2: Float64Array;
  /** per block and position: 1 / std of LN1 and LN2 */
  r1: Float64Array;
  r2: Float64Array;
  /** per block: attention weights, layers x heads x maxLen x maxLen (row t, column u <= t) */
  p: Float64Array;
  /** the last block's output, LNf's normalised input and 1 / std, and o */
  xout: Float64Array;
  xhf: Float64Array;
  rf: Float64Array;
  o: Float64Array;
  /** backward scratch (maxLen x d each) */
  g1: Float64Array;
  g2: Float64Array;
  g3: Float64Array;
  dq: Float64Array;
  dk: Float64Array;
  dv: Float64Array;
}

export function sasCache(w: SeqWeights): SasCache {
  const { dim: d, maxLen: L, layers: B, heads: H } = w.shape;
  const f = (n: number) => new Float64Array(n);
  const ld = B * L * d;
  return {
    n: 0,
    m0: f(L * d),
    drop: false,
    xin: f(ld),
    xh1: f(ld),
    a: f(ld),
    q: f(ld),
    k: f(ld),
    v: f(ld),
    c: f(ld),
    xmid: f(ld),
    xh2: f(ld),
    f: f(ld),
    pre: f(ld),
    m1: f(ld),
    m2: f(ld),
    r1: f(B * L),
    r2: f(B * L),
    p: f(B * H * L * L),
    xout: f(L * d),
    xhf: f(L * d),
    rf: f(L),
    o: f(L * d),
    g1: f(L * d),
    g2: f(L * d),
    g3: f(L * d),
    dq: f(L * d),
    dk: f(L * d),
    dv: f(L * d),
  };
}

function layerNorm(
  x: Float64Array,
  xo: number,
  n: number,
  d: number,
  g: Float32Array,
  b: Float32Array,
  po: number,
  xh: Float64Array,
  out: Float64Array,
  r: Float64Array,
  ro: number,
): void {
  for (let t = 0; t < n; t++) {
    const o = xo + t * d;
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[o + k]!;
    mean /= d;
    let vr = 0;
    for (let k = 0; k < d; k++) vr += (x[o + k]! - mean) ** 2;
    const rs = 1 / Math.sqrt(vr / d + EPS);
    r[ro + t] = rs;
    for (let k = 0; k < d; k++) {
      const z = (x[o + k]! - mean) * rs;
      xh[o + k] = z;
      out[o + k] = z * g[po + k]! + b[po + k]!;
    }
  }
}

/** dx (written, or added with `add`) of a layer norm from dy; gain and bias gradients added */
function layerNormBack(
  dy: Float64Array,
  xh: Float64Array,
  xo: number,
  n: number,
  d: number,
  g: Float32Array,
  po: number,
  dg: Float32Array,
  db: Float32Array,
  r: Float64Array,
  ro: number,
  dx: Float64Array,
  add: boolean,
): void {
  for (let t = 0; t < n; t++) {
    const o = xo + t * d;
    const yo = t * d;
    let m1 = 0;
    let m2 = 0;
    for (let k = 0; k < d; k++) {
      const gy = dy[yo + k]!;
      dg[po + k]! += gy * xh[o + k]!;
      db[po + k]! += gy;
      const dz = gy * g[po + k]!;
      m1 += dz;
      m2 += dz * xh[o + k]!;
    }
    m1 /= d;
    m2 /= d;
    const rs = r[ro + t]!;
    for (let k = 0; k < d; k++) {
      const v = rs * (dy[yo + k]! * g[po + k]! - m1 - xh[o + k]! * m2);
      if (add) dx[yo + k]! += v;
      else dx[yo + k] = v;
    }
  }
}

/** out[t] = W in[t] (+ bias) for n rows; W is d x d at `wo`, row-major (output, input) */
function matRows(
  W: Float32Array,
  wo: number,
  inp: Float64Array,
  io: number,
  n: number,
  d: number,
  out: Float64Array,
  oo: number,
  bias?: Float32Array,
  bo = 0,
): void {
  for (let t = 0; t < n; t++) {
    const it = io + t * d;
    for (let r = 0; r < d; r++) {
      const w = wo + r * d;
      let s = bias ? bias[bo + r]! : 0;
      for (let k = 0; k < d; k++) s += W[w + k]! * inp[it + k]!;
      out[oo + t * d + r] = s;
    }
  }
}

/** for out = W in over n rows: dW += dout (x) in, and din (written, or added) = W^T dout */
function matRowsBack(
  W: Float32Array,
  dW: Float32Array,
  wo: number,
  inp: Float64Array,
  io: number,
  dout: Float64Array,
  n: number,
  d: number,
  din: Float64Array,
  add: boolean,
): void {
  if (!add) din.fill(0, 0, n * d);
  for (let t = 0; t < n; t++) {
    const it = io + t * d;
    for (let r = 0; r < d; r++) {
      const g = dout[t * d + r]!;
      if (g === 0) continue;
      const w = wo + r * d;
      for (let k = 0; k < d; k++) {
        dW[w + k]! += g * inp[it + k]!;
        din[t * d + k]! += W[w + k]! * g;
      }
    }
  }
}

function mask(m: Float64Array, off: number, len: number, drop: Dropout | undefined): void {
  if (!drop) return;
  const keep = 1 / (1 - drop.rate);
  for (let i = 0; i < len; i++) m[off + i] = drop.rnd() < drop.rate ? 0 : keep;
}

/**
 * The forward pass of the window hist[start, start + n) (item i's h at row i of `h`) into `c`;
 * `c.o` then holds every position's output.
 */
export function sasForward(
  w: SeqWeights,
  h: Float64Array | Float32Array,
  hist: ArrayLike<number>,
  start: number,
  n: number,
  c: SasCache,
  drop: Dropout | undefined,
): void {
  const { dim: d, maxLen: L, layers: B, heads: H } = w.shape;
  const P = w.params;
  const dh = d / H;
  const inv = 1 / Math.sqrt(dh);
  c.n = n;
  c.drop = drop !== undefined;
  const x = c.xin;
  for (let t = 0; t < n; t++) {
    const ho = hist[start + t]! * d;
    for (let k = 0; k < d; k++) x[t * d + k] = h[ho + k]! + P.pos[t * d + k]!;
  }
  if (drop) {
    mask(c.m0, 0, n * d, drop);
    for (let i = 0; i < n * d; i++) x[i]! *= c.m0[i]!;
  }
  for (let l = 0; l < B; l++) {
    const lo = l * L * d;
    const wo = l * d * d;
    const po = l * d;
    layerNorm(c.xin, lo, n, d, P.ln1g, P.ln1b, po, c.xh1, c.a, c.r1, l * L);
    matRows(P.wq, wo, c.a, lo, n, d, c.q, lo);
    matRows(P.wk, wo, c.a, lo, n, d, c.k, lo);
    matRows(P.wv, wo, c.a, lo, n, d, c.v, lo);
    for (let hh = 0; hh < H; hh++) {
      const ho = hh * dh;
      for (let t = 0; t < n; t++) {
        const row = ((l * H + hh) * L + t) * L;
        let max = -Infinity;
        for (let u = 0; u <= t; u++) {
          let s = 0;
          for (let r = 0; r < dh; r++) s += c.q[lo + t * d + ho + r]! * c.k[lo + u * d + ho + r]!;
          s *= inv;
          c.p[row + u] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let u = 0; u <= t; u++) {
          const e = Math.exp(c.p[row + u]! - max);
          c.p[row + u] = e;
          sum += e;
        }
        for (let r = 0; r < dh; r++) c.c[lo + t * d + ho + r] = 0;
        for (let u = 0; u <= t; u++) {
          const pu = c.p[row + u]! / sum;
          c.p[row + u] = pu;
          for (let r = 0; r < dh; r++) c.c[lo + t * d + ho + r]! += pu * c.v[lo + u * d + ho + r]!;
        }
      }
    }
    // attention output + residual
    matRows(P.wa, wo, c.c, lo, n, d, c.xmid, lo);
    mask(c.m1, lo, n * d, drop);
    for (let i = 0; i < n * d; i++) {
      const y = drop ? c.xmid[lo + i]! * c.m1[lo + i]! : c.xmid[lo + i]!;
      c.xmid[lo + i] = c.xin[lo + i]! + y;
    }
    layerNorm(c.xmid, lo, n, d, P.ln2g, P.ln2b, po, c.xh2, c.f, c.r2, l * L);
    matRows(P.w1, wo, c.f, lo, n, d, c.pre, lo, P.b1, po);
    const act = c.g1;
    for (let i = 0; i < n * d; i++) act[i] = Math.max(0, c.pre[lo + i]!);
    const next = l + 1 < B ? c.xin : c.xout;
    const no = l + 1 < B ? lo + L * d : 0;
    matRows(P.w2, wo, act, 0, n, d, next, no, P.b2, po);
    mask(c.m2, lo, n * d, drop);
    for (let i = 0; i < n * d; i++) {
      const y = drop ? next[no + i]! * c.m2[lo + i]! : next[no + i]!;
      next[no + i] = c.xmid[lo + i]! + y;
    }
  }
  if (B === 0) c.xout.set(c.xin.subarray(0, n * d));
  layerNorm(c.xout, 0, n, d, P.lnfg, P.lnfb, 0, c.xhf, c.o, c.rf, 0);
}

/**
 * The backward of the last sasForward: from dO (n x d, the loss's gradient at the outputs) the
 * block parameters' gradients into `grads`, and the gradient at each position's input (before
 * dropout and positions) into dx (n x d); the position embeddings' gradient is added too.
 */
export function sasBackward(
  w: SeqWeights,
  c: SasCache,
  dO: Float64Array,
  grads: SeqWeights['params'],
  dx: Float64Array,
): void {
  const { dim: d, maxLen: L, layers: B, heads: H } = w.shape;
  const P = w.params;
  const { n } = c;
  const dh = d / H;
  const inv = 1 / Math.sqrt(dh);
  const nd = n * d;
  // dX: the gradient at the current block's output (then input)
  const dX = dx;
  layerNormBack(dO, c.xhf, 0, n, d, P.lnfg, 0, grads.lnfg, grads.lnfb, c.rf, 0, dX, false);
  const { g1, g2, g3, dq, dk, dv } = c;
  for (let l = B - 1; l >= 0; l--) {
    const lo = l * L * d;
    const wo = l * d * d;
    const po = l * d;
    // x_out = xmid + m2 * (W2 act + b2): g1 = dG
    for (let i = 0; i < nd; i++) g1[i] = c.drop ? dX[i]! * c.m2[lo + i]! : dX[i]!;
    for (let t = 0; t < n; t++) for (let r = 0; r < d; r++) grads.b2[po + r]! += g1[t * d + r]!;
    // act (recomputed into g3) and dact into g2
    for (let i = 0; i < nd; i++) g3[i] = Math.max(0, c.pre[lo + i]!);
    matRowsBack(P.w2, grads.w2, wo, g3, 0, g1, n, d, g2, false);
    for (let i = 0; i < nd; i++) if (c.pre[lo + i]! <= 0) g2[i] = 0;
    for (let t = 0; t < n; t++) for (let r = 0; r < d; r++) grads.b1[po + r]! += g2[t * d + r]!;
    // df into g3, then dxmid = dX + LN2'(df), kept in dX
    matRowsBack(P.w1, grads.w1, wo, c.f, lo, g2, n, d, g3, false);
    layerNormBack(g3, c.xh2, lo, n, d, P.ln2g, po, grads.ln2g, grads.ln2b, c.r2, l * L, dX, true);
    // xmid = xin + m1 * Wa c: g1 = dY, g2 = dc
    for (let i = 0; i < nd; i++) g1[i] = c.drop ? dX[i]! * c.m1[lo + i]! : dX[i]!;
    matRowsBack(P.wa, grads.wa, wo, c.c, lo, g1, n, d, g2, false);
    dq.fill(0, 0, nd);
    dk.fill(0, 0, nd);
    dv.fill(0, 0, nd);
    for (let hh = 0; hh < H; hh++) {
      const ho = hh * dh;
      for (let t = 0; t < n; t++) {
        const row = ((l * H + hh) * L + t) * L;
        // dP_tu = dc_t . v_u; dv_u += P_tu dc_t
        let dot = 0;
        for (let u = 0; u <= t; u++) {
          const pu = c.p[row + u]!;
          let s = 0;
          for (let r = 0; r < dh; r++) {
            const gc = g2[t * d + ho + r]!;
            s += gc * c.v[lo + u * d + ho + r]!;
            dv[u * d + ho + r]! += pu * gc;
          }
          g3[u] = s;
          dot += pu * s;
        }
        for (let u = 0; u <= t; u++) {
          const ds = c.p[row + u]! * (g3[u]! - dot) * inv;
          if (ds === 0) continue;
          for (let r = 0; r < dh; r++) {
            dq[t * d + ho + r]! += ds * c.k[lo + u * d + ho + r]!;
            dk[u * d + ho + r]! += ds * c.q[lo + t * d + ho + r]!;
          }
        }
      }
    }
    // da into g1, then dxin = dxmid + LN1'(da)
    matRowsBack(P.wq, grads.wq, wo, c.a, lo, dq, n, d, g1, false);
    matRowsBack(P.wk, grads.wk, wo, c.a, lo, dk, n, d, g1, true);
    matRowsBack(P.wv, grads.wv, wo, c.a, lo, dv, n, d, g1, true);
    layerNormBack(g1, c.xh1, lo, n, d, P.ln1g, po, grads.ln1g, grads.ln1b, c.r1, l * L, dX, true);
  }
  if (c.drop) for (let i = 0; i < nd; i++) dX[i]! *= c.m0[i]!;
  for (let i = 0; i < nd; i++) grads.pos[i]! += dX[i]!;
}
