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
}

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
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];
export type SeqParams = Record<ParamName, Float32Array>;

/** everything the forward pass reads: a model being trained (SeqNet) or a trained one */
export interface SeqWeights {
  readonly shape: SeqShape;
  readonly params: SeqParams;
  readonly inputs: SeqInputs;
}

function paramSizes(s: SeqShape): Record<ParamName, number> {
  const d = s.dim;
  return {
    wt: d * s.textDim,
    emb: s.numItems * d,
    bias: s.numItems,
    scale: s.numScenarios * d,
    shift: s.numScenarios * d,
    pos: s.maxLen * d,
    posBias: s.maxLen,
    attn: d,
    wo: d * d,
    query: s.numScenarios * d,
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
  return p;
}
