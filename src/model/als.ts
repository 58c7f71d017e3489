/**
 * Implicit-feedback matrix factorisation (iALS: Hu, Koren and Volinsky, ICDM'08), as a latent
 * item model. Every user row weighs every item: an item the user has, with confidence
 * 1 + alpha * (times they have it), towards preference 1; every other item, with confidence 1,
 * towards 0. Alternating least squares learns user and item factors; only the item factors are
 * kept. A request's user vector is folded in from its history by the same least-squares step
 * (`foldIn`), so a user unseen in training (an anonymous session, a test user) is scored as one
 * who was. It covers the whole catalogue (the EASE model covers only its most frequent items) and
 * sees structure beyond pairs of items, so the ranker gets evidence the item graphs lack.
 */
import { seededRandom } from '../core/rng.ts';

export interface AlsOptions {
  /** latent dimensions; 0 = no model */
  factors: number;
  /** L2 regularisation of every factor */
  reg: number;
  /** confidence of an observed item: 1 + alpha * count */
  alpha: number;
  /** alternating rounds (users, then items) */
  iters: number;
  /**
   * conjugate-gradient steps per row and half-round, warm-started from the row's last solution
   * (Takacs, Pilaszy and Tikk, RecSys'11); 0 = the exact solve by Cholesky
   */
  cgSteps?: number;
  seed: number;
  signal?: AbortSignal;
}

export const DEFAULT_ALS: Omit<AlsOptions, 'seed' | 'signal'> = {
  factors: 32,
  reg: 10,
  alpha: 10,
  iters: 8,
  cgSteps: 0,
};

export interface AlsModel {
  dim: number;
  /** numItems x dim, row-major; a zero row for an item no training row holds */
  items: Float32Array;
  /** YᵀY + reg I (dim x dim, row-major): the part of every fold-in's system shared by all users */
  gram: Float64Array;
  alpha: number;
}

/** rows as CSR with per-entry counts: duplicate items of a row merged */
function rowsCsr(rows: readonly ArrayLike<number>[]): {
  ptr: Int32Array;
  idx: Int32Array;
  cnt: Float32Array;
} {
  const ptr = new Int32Array(rows.length + 1);
  const idx: number[] = [];
  const cnt: number[] = [];
  const seen = new Map<number, number>();
  for (let r = 0; r < rows.length; r++) {
    seen.clear();
    const row = rows[r]!;
    for (let k = 0; k < row.length; k++) {
      const i = row[k]!;
      const at = seen.get(i);
      if (at === undefined) {
        seen.set(i, idx.length);
        idx.push(i);
        cnt.push(1);
      } else cnt[at]! += 1;
    }
    ptr[r + 1] = idx.length;
  }
  return { ptr, idx: Int32Array.from(idx), cnt: Float32Array.from(cnt) };
}

function transpose(
  m: { ptr: Int32Array; idx: Int32Array; cnt: Float32Array },
  cols: number,
): { ptr: Int32Array; idx: Int32Array; cnt: Float32Array } {
  const ptr = new Int32Array(cols + 1);
  for (let k = 0; k < m.idx.length; k++) ptr[m.idx[k]! + 1]! += 1;
  for (let c = 0; c < cols; c++) ptr[c + 1]! += ptr[c]!;
  const fill = ptr.slice(0, cols);
  const idx = new Int32Array(m.idx.length);
  const cnt = new Float32Array(m.idx.length);
  for (let r = 0; r + 1 < m.ptr.length; r++)
    for (let k = m.ptr[r]!; k < m.ptr[r + 1]!; k++) {
      const at = fill[m.idx[k]!]!++;
      idx[at] = r;
      cnt[at] = m.cnt[k]!;
    }
  return { ptr, idx, cnt };
}

/** YᵀY + reg I of the rows of `y` (n x f) */
function gramOf(y: Float32Array, n: number, f: number, reg: number): Float64Array {
  const g = new Float64Array(f * f);
  for (let r = 0; r < n; r++) {
    const o = r * f;
    for (let a = 0; a < f; a++) {
      const ya = y[o + a]!;
      if (ya === 0) continue;
      for (let b = a; b < f; b++) g[a * f + b]! += ya * y[o + b]!;
    }
  }
  for (let a = 0; a < f; a++) {
    g[a * f + a]! += reg;
    for (let b = 0; b < a; b++) g[a * f + b] = g[b * f + a]!;
  }
  return g;
}

/**
 * Solves A x = b in place of `b` for a symmetric positive definite A (upper triangle read), by
 * Cholesky; `a` is overwritten. False when A is not positive definite (x left undefined).
 */
function cholSolve(a: Float64Array, b: Float64Array, f: number): boolean {
  for (let j = 0; j < f; j++) {
    let d = a[j * f + j]!;
    for (let k = 0; k < j; k++) d -= a[k * f + j]! * a[k * f + j]!;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * f + j] = l;
    for (let i = j + 1; i < f; i++) {
      let s = a[j * f + i]!;
      for (let k = 0; k < j; k++) s -= a[k * f + j]! * a[k * f + i]!;
      a[j * f + i] = s / l;
    }
  }
  // Uᵀ y = b, then U x = y (U = the factor in the upper triangle)
  for (let i = 0; i < f; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[k * f + i]! * b[k]!;
    b[i] = s / a[i * f + i]!;
  }
  for (let i = f - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < f; k++) s -= a[i * f + k]! * b[k]!;
    b[i] = s / a[i * f + i]!;
  }
  return true;
}

/**
 * The least-squares system of one row into `a` and `b`: A = G + sum_j alpha c_j y_j y_jᵀ (upper
 * triangle) and b = sum_j (1 + alpha c_j) y_j over the row's items j (`idx[from..to)`, counts `cnt`).
 */
function systemOf(
  g: Float64Array,
  y: Float32Array,
  f: number,
  alpha: number,
  rows: { idx: ArrayLike<number>; cnt: ArrayLike<number> },
  from: number,
  to: number,
  a: Float64Array,
  b: Float64Array,
): void {
  a.set(g);
  b.fill(0);
  for (let k = from; k < to; k++) {
    const o = rows.idx[k]! * f;
    const c = alpha * rows.cnt[k]!;
    for (let p = 0; p < f; p++) {
      const yp = y[o + p]!;
      if (yp === 0) continue;
      b[p]! += (1 + c) * yp;
      const cyp = c * yp;
      for (let q = p; q < f; q++) a[p * f + q]! += cyp * y[o + q]!;
    }
  }
}

/** one least-squares row, x = A⁻¹ b (see systemOf), written to `out` at `at`; `a`, `b` are scratch */
function solveRow(
  g: Float64Array,
  y: Float32Array,
  f: number,
  alpha: number,
  rows: { idx: ArrayLike<number>; cnt: ArrayLike<number> },
  from: number,
  to: number,
  a: Float64Array,
  b: Float64Array,
  out: Float32Array,
  at: number,
): void {
  systemOf(g, y, f, alpha, rows, from, to, a, b);
  if (!cholSolve(a, b, f)) b.fill(0);
  for (let p = 0; p < f; p++) out[at + p] = b[p]!;
}

/**
 * `out` = A v for one row's system A of systemOf, without forming it: G v + sum_j alpha c_j
 * (y_j . v) y_j, O(f^2 + n f) (`v` read from `vAt`)
 */
function timesSystem(
  g: Float64Array,
  y: Float32Array,
  f: number,
  alpha: number,
  rows: { idx: ArrayLike<number>; cnt: ArrayLike<number> },
  from: number,
  to: number,
  v: ArrayLike<number>,
  vAt: number,
  out: Float64Array,
): void {
  for (let i = 0; i < f; i++) {
    let s = 0;
    for (let j = 0; j < f; j++) s += g[i * f + j]! * v[vAt + j]!;
    out[i] = s;
  }
  for (let k = from; k < to; k++) {
    const o = rows.idx[k]! * f;
    let yv = 0;
    for (let q = 0; q < f; q++) yv += y[o + q]! * v[vAt + q]!;
    const w = alpha * rows.cnt[k]! * yv;
    for (let q = 0; q < f; q++) out[q]! += w * y[o + q]!;
  }
}

/**
 * One row's system approximately, by `steps` conjugate-gradient steps from the row's current
 * factors in `out` at `at` (each step one product by A, timesSystem: O(f^2 + n f) against
 * O(n f^2 + f^3) for the exact solve). `r`, `p`, `ap` are scratch of length f.
 */
function cgRow(
  g: Float64Array,
  y: Float32Array,
  f: number,
  alpha: number,
  rows: { idx: ArrayLike<number>; cnt: ArrayLike<number> },
  from: number,
  to: number,
  steps: number,
  out: Float32Array,
  at: number,
  r: Float64Array,
  p: Float64Array,
  ap: Float64Array,
): void {
  // r = b - A x, b = sum_j (1 + alpha c_j) y_j
  timesSystem(g, y, f, alpha, rows, from, to, out, at, ap);
  for (let q = 0; q < f; q++) r[q] = -ap[q]!;
  for (let k = from; k < to; k++) {
    const o = rows.idx[k]! * f;
    const w = 1 + alpha * rows.cnt[k]!;
    for (let q = 0; q < f; q++) r[q]! += w * y[o + q]!;
  }
  p.set(r);
  let rs = 0;
  for (let q = 0; q < f; q++) rs += r[q]! * r[q]!;
  for (let s = 0; s < steps && rs > 1e-20; s++) {
    timesSystem(g, y, f, alpha, rows, from, to, p, 0, ap);
    let pap = 0;
    for (let q = 0; q < f; q++) pap += p[q]! * ap[q]!;
    if (!(pap > 0)) break;
    const step = rs / pap;
    let next = 0;
    for (let q = 0; q < f; q++) {
      out[at + q]! += step * p[q]!;
      r[q]! -= step * ap[q]!;
      next += r[q]! * r[q]!;
    }
    const beta = next / rs;
    for (let q = 0; q < f; q++) p[q] = r[q]! + beta * p[q]!;
    rs = next;
  }
}

/** one half-round: every row of `m` solved against the factors `y` of its columns */
function halfStep(
  m: { ptr: Int32Array; idx: Int32Array; cnt: Float32Array },
  y: Float32Array,
  nCols: number,
  out: Float32Array,
  f: number,
  o: AlsOptions,
): void {
  const g = gramOf(y, nCols, f, o.reg);
  const a = new Float64Array(f * f);
  const b = new Float64Array(f);
  const p = new Float64Array(f);
  const ap = new Float64Array(f);
  const steps = o.cgSteps ?? 0;
  const rows = m.ptr.length - 1;
  for (let r = 0; r < rows; r++) {
    if (m.ptr[r] === m.ptr[r + 1]) {
      out.fill(0, r * f, (r + 1) * f);
      continue;
    }
    if (steps > 0) cgRow(g, y, f, o.alpha, m, m.ptr[r]!, m.ptr[r + 1]!, steps, out, r * f, b, p, ap);
    else solveRow(g, y, f, o.alpha, m, m.ptr[r]!, m.ptr[r + 1]!, a, b, out, r * f);
  }
}

/**
 * Item factors from training rows (one list of item indices per user; an item listed twice counts
 * twice). Deterministic for a seed.
 */
export function trainAls(rows: readonly ArrayLike<number>[], numItems: number, o: AlsOptions): AlsModel {
  const f = o.factors;
  const byRow = rowsCsr(rows);
  const byItem = transpose(byRow, numItems);
  const rand = seededRandom(o.seed);
  const items = new Float32Array(numItems * f);
  // small random starting factors for the items rows hold; the others stay 0
  for (let i = 0; i < numItems; i++)
    if (byItem.ptr[i] !== byItem.ptr[i + 1])
      for (let p = 0; p < f; p++) items[i * f + p] = (rand() - 0.5) * 0.02;
  const users = new Float32Array(rows.length * f);
  for (let it = 0; it < o.iters; it++) {
    o.signal?.throwIfAborted();
    halfStep(byRow, items, numItems, users, f, o);
    o.signal?.throwIfAborted();
    halfStep(byItem, users, rows.length, items, f, o);
  }
  return { dim: f, items, gram: gramOf(items, numItems, f, o.reg), alpha: o.alpha };
}

/** a history as one CSR row over the items the model knows (items added since have no factors) */
function historyRow(m: AlsModel, history: readonly number[]) {
  const n = m.items.length / m.dim;
  return rowsCsr([history.filter((i) => i >= 0 && i < n)]);
}

/** the user vector of a history (item indices, repeats counting twice), as training would solve it */
export function foldIn(m: AlsModel, history: readonly number[]): Float32Array {
  const f = m.dim;
  const out = new Float32Array(f);
  const row = historyRow(m, history);
  if (row.idx.length === 0) return out;
  solveRow(
    m.gram,
    m.items,
    f,
    m.alpha,
    row,
    0,
    row.idx.length,
    new Float64Array(f * f),
    new Float64Array(f),
    out,
    0,
  );
  return out;
}

/** the model's predicted preference of a user vector for an item (0 for an item it does not know) */
export function alsScore(m: AlsModel, user: Float32Array, item: number): number {
  const f = m.dim;
  const o = item * f;
  if (o + f > m.items.length) return 0;
  let s = 0;
  for (let p = 0; p < f; p++) s += user[p]! * m.items[o + p]!;
  return s;
}

/**
 * Removes an item's factors (an item whose every interaction was erased): its row becomes 0 and
 * leaves the shared part of the fold-in system, so no request is scored from it any more.
 */
export function forgetItemFactors(m: AlsModel, item: number): void {
  const f = m.dim;
  const o = item * f;
  if (o + f > m.items.length) return;
  for (let p = 0; p < f; p++)
    for (let q = 0; q < f; q++) m.gram[p * f + q]! -= m.items[o + p]! * m.items[o + q]!;
  m.items.fill(0, o, o + f);
}

/**
 * Each history item's exact share of the item's score for that history: the fold-in solves
 * A u = sum_h (1 + alpha c_h) y_h, so score = y_iᵀ u = sum_h (1 + alpha c_h) (A⁻¹ y_i)ᵀ y_h.
 * The shares (by distinct history item) sum to `alsScore(m, foldIn(m, history), item)`.
 */
export function alsShares(m: AlsModel, history: readonly number[], item: number): Map<number, number> {
  const f = m.dim;
  const out = new Map<number, number>();
  const row = historyRow(m, history);
  if (row.idx.length === 0 || item < 0 || (item + 1) * f > m.items.length) return out;
  // the fold-in's system A, then z = A⁻¹ y_item
  const a = new Float64Array(f * f);
  systemOf(m.gram, m.items, f, m.alpha, row, 0, row.idx.length, a, new Float64Array(f));
  const z = Float64Array.from(m.items.subarray(item * f, (item + 1) * f));
  if (!cholSolve(a, z, f)) return out;
  for (let k = 0; k < row.idx.length; k++) {
    const o = row.idx[k]! * f;
    let s = 0;
    for (let p = 0; p < f; p++) s += z[p]! * m.items[o + p]!;
    out.set(row.idx[k]!, (1 + m.alpha * row.cnt[k]!) * s);
  }
  return out;
}
