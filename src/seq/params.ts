/**
 * The sequential model's shape, parameters and fixed inputs, and their seeded initial values (the
 * maths they take part in: ./model.ts).
 */
import { seededRandom } from '../core/rng.ts';

export interface SeqShape {
  numItems: number;
  numScenarios: number;
  /** width of the whitened text features; 0 = ids only */
  textDim: number;
  dim: number;
  maxLen: number;
  /** the history encoder: attention pooling, or causal self-attention blocks (./sasrec.ts) */
  arch: SeqArch;
  /** self-attention blocks (sasrec; 0 for pool) */
  layers: number;
  /** attention heads per block (sasrec; 0 for pool), dividing dim */
  heads: number;
  /** the PEPNet-style gate on the user state (./forward.ts scenarioState); absent = off */
  gate?: boolean;
}

export type SeqArch = 'pool' | 'sasrec';

/** fixed inputs, not trained */
export interface SeqInputs {
  /** numItems x textDim whitened text features (empty when textDim is 0) */
  text: Float32Array;
  /** 1 = the item has training events and so an id embedding and a bias */
  warm: Uint8Array;
  /** scenario code per item */
  scenario: Uint16Array;
}

export const PARAM_NAMES = [
  'wt',
  'emb',
  'bias',
  'scale',
  'shift',
  'pos',
  'posBias',
  'attn',
  'wo',
  'query',
  // sasrec: per block (stacked), then the final layer norm
  'wq',
  'wk',
  'wv',
  'wa',
  'ln1g',
  'ln1b',
  'ln2g',
  'ln2b',
  'w1',
  'b1',
  'w2',
  'b2',
  'lnfg',
  'lnfb',
  // the PEPNet-style gate: per scenario a d x d matrix and d biases
  'gate',
  'gateBias',
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];
export type SeqParams = Record<ParamName, Float32Array>;

/** everything the forward pass reads: a model being trained (SeqNet) or a trained one */
export interface SeqWeights {
  readonly shape: SeqShape;
  readonly params: SeqParams;
  readonly inputs: SeqInputs;
}

/** every parameter's length for a shape (0 = not used by its architecture) */
export function paramSizes(s: SeqShape): Record<ParamName, number> {
  const d = s.dim;
  const pool = s.arch === 'pool';
  const ld = pool ? 0 : s.layers * d;
  const ldd = ld * d;
  return {
    wt: d * s.textDim,
    emb: s.numItems * d,
    bias: s.numItems,
    scale: s.numScenarios * d,
    shift: s.numScenarios * d,
    pos: s.maxLen * d,
    posBias: pool ? s.maxLen : 0,
    attn: pool ? d : 0,
    wo: d * d,
    query: s.numScenarios * d,
    wq: ldd,
    wk: ldd,
    wv: ldd,
    wa: ldd,
    ln1g: ld,
    ln1b: ld,
    ln2g: ld,
    ln2b: ld,
    // the feed-forward layer is d wide, as in SASRec
    w1: ldd,
    b1: ld,
    w2: ldd,
    b2: ld,
    lnfg: pool ? 0 : d,
    lnfb: pool ? 0 : d,
    gate: s.gate ? s.numScenarios * d * d : 0,
    gateBias: s.gate ? s.numScenarios * d : 0,
  };
}

export function gaussian(rnd: () => number): () => number {
  return () => {
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
}

export function initParams(shape: SeqShape, seed: number): SeqParams {
  const g = gaussian(seededRandom(seed));
  const sizes = paramSizes(shape);
  const p = Object.fromEntries(PARAM_NAMES.map((n) => [n, new Float32Array(sizes[n])])) as SeqParams;
  const d = shape.dim;
  const wScale = shape.textDim > 0 ? 0.5 / Math.sqrt(shape.textDim) : 0;
  for (let i = 0; i < p.wt.length; i++) p.wt[i] = g() * wScale;
  // with text, ids start at zero (text carries the item at first); without, ids must break symmetry
  if (shape.textDim === 0) for (let i = 0; i < p.emb.length; i++) p.emb[i] = g() * 0.1;
  p.scale.fill(1);
  p.query.fill(1);
  for (let k = 0; k < d; k++) p.wo[k * d + k] = 1;
  if (shape.arch === 'sasrec') {
    // fan-in scaled; the projections into the residual stream shrunk by the depth (pre-LN blocks)
    const fan = 1 / Math.sqrt(d);
    const out = fan / Math.sqrt(2 * shape.layers);
    for (const n of ['wq', 'wk', 'wv', 'w1'] as const)
      for (let i = 0; i < p[n].length; i++) p[n][i] = g() * fan;
    for (const n of ['wa', 'w2'] as const) for (let i = 0; i < p[n].length; i++) p[n][i] = g() * out;
    for (const n of ['ln1g', 'ln2g', 'lnfg'] as const) p[n].fill(1);
  }
  return p;
}

/** a copy of every parameter */
export const clone = (p: SeqParams): SeqParams =>
  Object.fromEntries(PARAM_NAMES.map((n) => [n, Float32Array.from(p[n])])) as SeqParams;
/** zeros shaped as `p` */
export const zerosLike = (p: SeqParams): SeqParams =>
  Object.fromEntries(PARAM_NAMES.map((n) => [n, new Float32Array(p[n].length)])) as SeqParams;
/** `into` += `p`, every parameter */
export function addInto(into: SeqParams, p: SeqParams): void {
  for (const n of PARAM_NAMES) {
    const a = into[n];
    const b = p[n];
    for (let k = 0; k < a.length; k++) a[k]! += b[k]!;
  }
}
/** `sum` / `count`, every parameter (a new set) */
export function meanOf(sum: SeqParams, count: number): SeqParams {
  const out = clone(sum);
  for (const n of PARAM_NAMES) {
    const a = out[n];
    for (let k = 0; k < a.length; k++) a[k]! /= count;
  }
  return out;
}
