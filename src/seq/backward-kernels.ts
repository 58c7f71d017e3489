/**
 * The training network's dense gradient kernels (./net.ts calls them): through the output
 * projection Wo and into the text projection Wt. Unrolled over rows and items for speed, each
 * summing its terms in the order one row (or item) at a time would, so the bits do not change;
 * and the gradient through the pool encoder's attention.
 */
import type { UserPass } from './forward.ts';
import type { SeqParams, SeqWeights } from './params.ts';

/**
 * The gradient through v = Wo u: dWo += dv u^T, du = Wo^T dv. Four rows at a time, each du[k]
 * summed over the rows in order, as one row at a time would.
 */
export function woBackward(
  wo: Float32Array,
  gwo: Float32Array,
  u: Float64Array,
  dv: Float64Array,
  du: Float64Array,
  d: number,
): void {
  du.fill(0);
  let r = 0;
  for (; r + 4 <= d; r += 4) {
    const g0 = dv[r]!;
    const g1 = dv[r + 1]!;
    const g2 = dv[r + 2]!;
    const g3 = dv[r + 3]!;
    const w0 = r * d;
    const w1 = w0 + d;
    const w2 = w1 + d;
    const w3 = w2 + d;
    for (let k = 0; k < d; k++) {
      const uk = u[k]!;
      gwo[w0 + k]! += g0 * uk;
      gwo[w1 + k]! += g1 * uk;
      gwo[w2 + k]! += g2 * uk;
      gwo[w3 + k]! += g3 * uk;
      du[k] = du[k]! + wo[w0 + k]! * g0 + wo[w1 + k]! * g1 + wo[w2 + k]! * g2 + wo[w3 + k]! * g3;
    }
  }
  for (; r < d; r++) {
    const g = dv[r]!;
    for (let k = 0; k < d; k++) {
      gwo[r * d + k]! += g * u[k]!;
      du[k]! += wo[r * d + k]! * g;
    }
  }
}

/**
 * dWt += de x^T for the items[q0, q1) (at most four; item q's de at row q - q0 of `de`, its text at
 * row items[q] of x). Each Float32 gradient value takes the items' terms in item order, rounded
 * after each as `+=` would, so four items (and two rows of dWt) in one pass give the bits one item
 * at a time gives (a zero term is skipped, as it always was: such a row goes one item at a time).
 */
export function textBackward(
  gWt: Float32Array,
  x: Float32Array,
  T: number,
  d: number,
  items: ArrayLike<number>,
  q0: number,
  q1: number,
  de: Float64Array,
): void {
  const n = q1 - q0;
  const x0 = items[q0]! * T;
  const x1 = n === 4 ? items[q0 + 1]! * T : 0;
  const x2 = n === 4 ? items[q0 + 2]! * T : 0;
  const x3 = n === 4 ? items[q0 + 3]! * T : 0;
  const full = (k: number) =>
    n === 4 && de[k] !== 0 && de[d + k] !== 0 && de[2 * d + k] !== 0 && de[3 * d + k] !== 0;
  for (let k = 0; k < d; ) {
    const w = k * T;
    if (k + 1 < d && full(k) && full(k + 1)) {
      const v = w + T;
      const g0 = de[k]!;
      const g1 = de[d + k]!;
      const g2 = de[2 * d + k]!;
      const g3 = de[3 * d + k]!;
      const h0 = de[k + 1]!;
      const h1 = de[d + k + 1]!;
      const h2 = de[2 * d + k + 1]!;
      const h3 = de[3 * d + k + 1]!;
      for (let j = 0; j < T; j++) {
        const y0 = x[x0 + j]!;
        const y1 = x[x1 + j]!;
        const y2 = x[x2 + j]!;
        const y3 = x[x3 + j]!;
        let a = gWt[w + j]!;
        let b = gWt[v + j]!;
        a = Math.fround(a + g0 * y0);
        b = Math.fround(b + h0 * y0);
        a = Math.fround(a + g1 * y1);
        b = Math.fround(b + h1 * y1);
        a = Math.fround(a + g2 * y2);
        b = Math.fround(b + h2 * y2);
        gWt[w + j] = a + g3 * y3;
        gWt[v + j] = b + h3 * y3;
      }
      k += 2;
      continue;
    }
    if (full(k)) {
      const g0 = de[k]!;
      const g1 = de[d + k]!;
      const g2 = de[2 * d + k]!;
      const g3 = de[3 * d + k]!;
      for (let j = 0; j < T; j++) {
        let a = gWt[w + j]!;
        a = Math.fround(a + g0 * x[x0 + j]!);
        a = Math.fround(a + g1 * x[x1 + j]!);
        a = Math.fround(a + g2 * x[x2 + j]!);
        gWt[w + j] = a + g3 * x[x3 + j]!;
      }
    } else
      for (let r = 0; r < n; r++) {
        const g = de[r * d + k]!;
        if (g === 0) continue;
        const xo = items[q0 + r]! * T;
        for (let j = 0; j < T; j++) gWt[w + j]! += g * x[xo + j]!;
      }
    k++;
  }
}

/**
 * The gradient through the attention pooling of one history (the pool encoder, ./forward.ts
 * attend and userForward): du (the gradient in u = sum_t alpha_t x_t) into the position bias, the
 * attention vector and the position embeddings in `grads`, and into the history items' rows of dh
 * (item hist[start + t] at row hist[start + t] * d). dx (maxLen x d) and dlast (d) are scratch.
 */
export function poolBackward(
  w: SeqWeights,
  grads: SeqParams,
  pass: UserPass,
  hist: ArrayLike<number>,
  start: number,
  du: Float64Array,
  dh: Float64Array,
  dx: Float64Array,
  dlast: Float64Array,
): void {
  const d = w.shape.dim;
  const P = w.params;
  const { n, x, alpha } = pass;
  const lo = (n - 1) * d;
  const rs = 1 / Math.sqrt(d);
  let dot = 0;
  const dAlpha = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let s2 = 0;
    for (let k = 0; k < d; k++) s2 += du[k]! * x[t * d + k]!;
    dAlpha[t] = s2;
    dot += alpha[t]! * s2;
  }
  dlast.fill(0);
  for (let t = 0; t < n; t++) {
    const da = alpha[t]! * (dAlpha[t]! - dot);
    grads.posBias[n - 1 - t]! += da;
    const c = da * rs;
    for (let k = 0; k < d; k++) {
      const xl = x[lo + k]!;
      const xt = x[t * d + k]!;
      grads.attn[k]! += c * xl * xt;
      dx[t * d + k] = alpha[t]! * du[k]! + c * P.attn[k]! * xl;
      dlast[k]! += c * P.attn[k]! * xt;
    }
  }
  for (let k = 0; k < d; k++) dx[lo + k]! += dlast[k]!;
  for (let t = 0; t < n; t++) {
    const ho = hist[start + t]! * d;
    const p = (n - 1 - t) * d;
    for (let k = 0; k < d; k++) {
      dh[ho + k]! += dx[t * d + k]!;
      grads.pos[p + k]! += dx[t * d + k]!;
    }
  }
}
