/**
 * One Adam step of the sequential model: the dense parameters whole, the id rows (emb, bias) lazily
 * at the warm rows a batch touched, frozen parameters left as they are. The gradient is the sum of
 * one or more gradient buffers (one per thread of a split batch, added in thread order and rounded
 * to Float32 after each addition); the buffers are zeroed where read. Every value's update depends
 * on that value alone, so a step can be cut into parts (one per thread) that give the same bits
 * as the whole.
 */
import { sliceBounds } from '../core/ts-worker.ts';
import { PARAM_NAMES, type ParamName, type SeqParams } from './params.ts';

export interface AdamSettings {
  lr: number;
  /** L2 penalty on the id rows (emb, bias) */
  l2: number;
  /** parameters not trained (their gradient is dropped) */
  frozen: readonly ParamName[];
  /** the row width of the id embedding (dim) */
  dim: number;
}

const ADAM_B1 = 0.9;
const ADAM_B2 = 0.999;

/** width of a row of the lazily updated (id row) parameters */
const rowWidth = (name: ParamName, dim: number): number | undefined =>
  name === 'emb' ? dim : name === 'bias' ? 1 : undefined;

/**
 * Adam step `step` (1-based) over part `part` of `parts` of the values: the dense parameters'
 * values and the touched `rows` each cut into contiguous shares.
 */
export function adamStep(
  s: AdamSettings,
  params: SeqParams,
  m: SeqParams,
  v: SeqParams,
  grads: readonly SeqParams[],
  rows: ArrayLike<number>,
  warm: Uint8Array,
  step: number,
  part = 0,
  parts = 1,
): void {
  const c1 = 1 - ADAM_B1 ** step;
  const c2 = 1 - ADAM_B2 ** step;
  const [rowFrom, rowTo] = sliceBounds(rows.length, parts, part);
  for (const name of PARAM_NAMES) {
    const p = params[name];
    if (p.length === 0) continue;
    const gs = grads.map((g) => g[name]);
    const width = rowWidth(name, s.dim);
    const frozen = s.frozen.includes(name);
    if (width === undefined) {
      const [from, to] = sliceBounds(p.length, parts, part);
      if (frozen) for (const g of gs) g.fill(0, from, to);
      else update(p, m[name], v[name], gs, from, to, 0, s.lr, c1, c2);
      continue;
    }
    for (let q = rowFrom; q < rowTo; q++) {
      const r = rows[q]!;
      if (frozen || warm[r] !== 1) for (const g of gs) g.fill(0, r * width, (r + 1) * width);
      else update(p, m[name], v[name], gs, r * width, (r + 1) * width, s.l2, s.lr, c1, c2);
    }
  }
}

function update(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  gs: readonly Float32Array[],
  from: number,
  to: number,
  l2: number,
  lr: number,
  c1: number,
  c2: number,
): void {
  const g0 = gs[0]!;
  for (let k = from; k < to; k++) {
    let sum = g0[k]!;
    g0[k] = 0;
    for (let w = 1; w < gs.length; w++) {
      const g = gs[w]!;
      sum = Math.fround(sum + g[k]!);
      g[k] = 0;
    }
    const gk = sum + l2 * p[k]!;
    m[k] = ADAM_B1 * m[k]! + (1 - ADAM_B1) * gk;
    v[k] = ADAM_B2 * v[k]! + (1 - ADAM_B2) * gk * gk;
    p[k]! -= (lr * (m[k]! / c1)) / (Math.sqrt(v[k]! / c2) + 1e-8);
  }
}
