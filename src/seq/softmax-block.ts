/**
 * The sampled softmax of a group of predictions that share their negatives (the examples of one
 * scenario in a batch, ./net.ts): the logits and the gradient in each prediction's user state as
 * blocked matrix products, four predictions by four candidates (or four dimensions) at a time, so
 * each value loaded serves four multiply-adds. Every sum adds its terms in the order a prediction
 * taken alone adds them (a logit over the dimensions in order; a gradient over the candidates,
 * the target first and then the negatives in order), so the results are those of the
 * one-prediction loops to the bit.
 */

/**
 * out[e * m + c] = bias[c] + sum_k z[e * d + k] h[rows[c] + k], for the p predictions (rows of z)
 * and the m candidates (rows of h at the offsets `rows`).
 */
export function blockLogits(
  z: Float64Array,
  p: number,
  h: Float64Array,
  rows: Int32Array,
  bias: Float64Array,
  m: number,
  d: number,
  out: Float64Array,
): void {
  let e = 0;
  for (; e + 4 <= p; e += 4) {
    const z0 = e * d;
    const z1 = z0 + d;
    const z2 = z1 + d;
    const z3 = z2 + d;
    let c = 0;
    for (; c + 4 <= m; c += 4) {
      const o0 = rows[c]!;
      const o1 = rows[c + 1]!;
      const o2 = rows[c + 2]!;
      const o3 = rows[c + 3]!;
      const b0 = bias[c]!;
      const b1 = bias[c + 1]!;
      const b2 = bias[c + 2]!;
      const b3 = bias[c + 3]!;
      let s00 = b0;
      let s01 = b1;
      let s02 = b2;
      let s03 = b3;
      let s10 = b0;
      let s11 = b1;
      let s12 = b2;
      let s13 = b3;
      let s20 = b0;
      let s21 = b1;
      let s22 = b2;
      let s23 = b3;
      let s30 = b0;
      let s31 = b1;
      let s32 = b2;
      let s33 = b3;
      for (let k = 0; k < d; k++) {
        const h0 = h[o0 + k]!;
        const h1 = h[o1 + k]!;
        const h2 = h[o2 + k]!;
        const h3 = h[o3 + k]!;
        const a0 = z[z0 + k]!;
        s00 += a0 * h0;
        s01 += a0 * h1;
        s02 += a0 * h2;
        s03 += a0 * h3;
        const a1 = z[z1 + k]!;
        s10 += a1 * h0;
        s11 += a1 * h1;
        s12 += a1 * h2;
        s13 += a1 * h3;
        const a2 = z[z2 + k]!;
        s20 += a2 * h0;
        s21 += a2 * h1;
        s22 += a2 * h2;
        s23 += a2 * h3;
        const a3 = z[z3 + k]!;
        s30 += a3 * h0;
        s31 += a3 * h1;
        s32 += a3 * h2;
        s33 += a3 * h3;
      }
      const r0 = e * m + c;
      const r1 = r0 + m;
      const r2 = r1 + m;
      const r3 = r2 + m;
      out[r0] = s00;
      out[r0 + 1] = s01;
      out[r0 + 2] = s02;
      out[r0 + 3] = s03;
      out[r1] = s10;
      out[r1 + 1] = s11;
      out[r1 + 2] = s12;
      out[r1 + 3] = s13;
      out[r2] = s20;
      out[r2 + 1] = s21;
      out[r2 + 2] = s22;
      out[r2 + 3] = s23;
      out[r3] = s30;
      out[r3 + 1] = s31;
      out[r3 + 2] = s32;
      out[r3 + 3] = s33;
    }
    for (let q = e; q < e + 4; q++) logitsOne(z, q, h, rows, bias, c, m, d, out);
  }
  for (; e < p; e++) logitsOne(z, e, h, rows, bias, 0, m, d, out);
}

/** blockLogits of prediction e over the candidates [from, m) */
function logitsOne(
  z: Float64Array,
  e: number,
  h: Float64Array,
  rows: Int32Array,
  bias: Float64Array,
  from: number,
  m: number,
  d: number,
  out: Float64Array,
): void {
  const ze = e * d;
  for (let c = from; c < m; c++) {
    const o = rows[c]!;
    let s = bias[c]!;
    for (let k = 0; k < d; k++) s += z[ze + k]! * h[o + k]!;
    out[e * m + c] = s;
  }
}

/**
 * dz[e * d + k] = gt[e] h[tRows[e] + k] + sum_c g[e * m + c] h[rows[c] + k]: each prediction's
 * gradient in its user state, its target's term first, then the m shared candidates' in order.
 */
export function blockGrad(
  g: Float64Array,
  gt: Float64Array,
  tRows: Int32Array,
  p: number,
  h: Float64Array,
  rows: Int32Array,
  m: number,
  d: number,
  dz: Float64Array,
): void {
  let e = 0;
  for (; e + 4 <= p; e += 4) {
    const g0 = e * m;
    const g1 = g0 + m;
    const g2 = g1 + m;
    const g3 = g2 + m;
    const t0 = gt[e]!;
    const t1 = gt[e + 1]!;
    const t2 = gt[e + 2]!;
    const t3 = gt[e + 3]!;
    const u0 = tRows[e]!;
    const u1 = tRows[e + 1]!;
    const u2 = tRows[e + 2]!;
    const u3 = tRows[e + 3]!;
    let k = 0;
    for (; k + 4 <= d; k += 4) {
      let s00 = 0 + t0 * h[u0 + k]!;
      let s01 = 0 + t0 * h[u0 + k + 1]!;
      let s02 = 0 + t0 * h[u0 + k + 2]!;
      let s03 = 0 + t0 * h[u0 + k + 3]!;
      let s10 = 0 + t1 * h[u1 + k]!;
      let s11 = 0 + t1 * h[u1 + k + 1]!;
      let s12 = 0 + t1 * h[u1 + k + 2]!;
      let s13 = 0 + t1 * h[u1 + k + 3]!;
      let s20 = 0 + t2 * h[u2 + k]!;
      let s21 = 0 + t2 * h[u2 + k + 1]!;
      let s22 = 0 + t2 * h[u2 + k + 2]!;
      let s23 = 0 + t2 * h[u2 + k + 3]!;
      let s30 = 0 + t3 * h[u3 + k]!;
      let s31 = 0 + t3 * h[u3 + k + 1]!;
      let s32 = 0 + t3 * h[u3 + k + 2]!;
      let s33 = 0 + t3 * h[u3 + k + 3]!;
      for (let c = 0; c < m; c++) {
        const o = rows[c]! + k;
        const h0 = h[o]!;
        const h1 = h[o + 1]!;
        const h2 = h[o + 2]!;
        const h3 = h[o + 3]!;
        const a0 = g[g0 + c]!;
        s00 += a0 * h0;
        s01 += a0 * h1;
        s02 += a0 * h2;
        s03 += a0 * h3;
        const a1 = g[g1 + c]!;
        s10 += a1 * h0;
        s11 += a1 * h1;
        s12 += a1 * h2;
        s13 += a1 * h3;
        const a2 = g[g2 + c]!;
        s20 += a2 * h0;
        s21 += a2 * h1;
        s22 += a2 * h2;
        s23 += a2 * h3;
        const a3 = g[g3 + c]!;
        s30 += a3 * h0;
        s31 += a3 * h1;
        s32 += a3 * h2;
        s33 += a3 * h3;
      }
      const r0 = e * d + k;
      const r1 = r0 + d;
      const r2 = r1 + d;
      const r3 = r2 + d;
      dz[r0] = s00;
      dz[r0 + 1] = s01;
      dz[r0 + 2] = s02;
      dz[r0 + 3] = s03;
      dz[r1] = s10;
      dz[r1 + 1] = s11;
      dz[r1 + 2] = s12;
      dz[r1 + 3] = s13;
      dz[r2] = s20;
      dz[r2 + 1] = s21;
      dz[r2 + 2] = s22;
      dz[r2 + 3] = s23;
      dz[r3] = s30;
      dz[r3 + 1] = s31;
      dz[r3 + 2] = s32;
      dz[r3 + 3] = s33;
    }
    for (let q = e; q < e + 4; q++) gradOne(g, gt, tRows, q, h, rows, m, d, k, dz);
  }
  for (; e < p; e++) gradOne(g, gt, tRows, e, h, rows, m, d, 0, dz);
}

/** blockGrad of prediction e in the dimensions [from, d) */
function gradOne(
  g: Float64Array,
  gt: Float64Array,
  tRows: Int32Array,
  e: number,
  h: Float64Array,
  rows: Int32Array,
  m: number,
  d: number,
  from: number,
  dz: Float64Array,
): void {
  const ge = e * m;
  const t = gt[e]!;
  const u = tRows[e]!;
  for (let k = from; k < d; k++) {
    let s = 0 + t * h[u + k]!;
    for (let c = 0; c < m; c++) s += g[ge + c]! * h[rows[c]! + k]!;
    dz[e * d + k] = s;
  }
}

/**
 * dh[rows[c] + k] += coef[c] z[zo + k] for the first m candidates, four at a time, each row taking
 * its terms in candidate order (a row may repeat: it then takes both terms in that order).
 */
export function addRowGrads(
  dh: Float64Array,
  coef: Float64Array,
  rows: Int32Array,
  m: number,
  z: Float64Array,
  zo: number,
  d: number,
): void {
  let c = 0;
  for (; c + 4 <= m; c += 4) {
    const g0 = coef[c]!;
    const g1 = coef[c + 1]!;
    const g2 = coef[c + 2]!;
    const g3 = coef[c + 3]!;
    const o0 = rows[c]!;
    const o1 = rows[c + 1]!;
    const o2 = rows[c + 2]!;
    const o3 = rows[c + 3]!;
    for (let k = 0; k < d; k++) {
      const zk = z[zo + k]!;
      // one statement each, so a repeated row takes both terms in order
      dh[o0 + k]! += g0 * zk;
      dh[o1 + k]! += g1 * zk;
      dh[o2 + k]! += g2 * zk;
      dh[o3 + k]! += g3 * zk;
    }
  }
  for (; c < m; c++) {
    const g = coef[c]!;
    const o = rows[c]!;
    for (let k = 0; k < d; k++) dh[o + k]! += g * z[zo + k]!;
  }
}
