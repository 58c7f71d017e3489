/**
 * Multimodal fusion, vector side. The item vector is a weighted sum of unit vectors, one per
 * channel the item has, normalised to unit length:
 *
 *   v = normalise( wText·c·text + wNgram·(1−c)·ngrams(content) + wImage·P_img·image + wAudio·P_aud·audio )
 *
 * - `text`: the encoder's vector of the unified text; `c` = share of its characters the encoder
 *   can read (1 for multilingual models). A Chinese title read by an English model collapses to
 *   the unknown token, so its weight falls with `c`.
 * - `ngrams`: signed feature hashing of character 1- and 2-grams of the item's own text (title,
 *   description, tags) into the same dimension; used only when `c` is below `minCoverage`.
 * - `P_img`, `P_aud`: fixed seeded Gaussian random projections from the modality's dimension to the
 *   text dimension (Johnson–Lindenstrauss: angles between image vectors survive), then normalised.
 *   They do not align modalities semantically; they let items with alike images or sounds end nearer.
 */

import { DEFAULT_FUSION, type FusionWeights } from '../config/fusion.ts';
import { seededRandom as rng } from '../core/rng.ts';
import { hasCjk, words } from '../core/tokens.ts';
import type { Item } from '../core/types.ts';
import { l2normalise } from './batch.ts';

/** FNV-1a, 32 bit */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const projections = new Map<string, Float32Array>();

/** The fixed projection matrix (rows = `to`, cols = `from`) of one modality, built once per process. */
function projection(modality: string, from: number, to: number): Float32Array {
  const key = `${modality}:${from}:${to}`;
  let m = projections.get(key);
  if (!m) {
    const next = rng(fnv1a(key));
    m = new Float32Array(from * to);
    for (let i = 0; i < m.length; i += 2) {
      // Box–Muller: two Gaussians per pair of uniforms
      const u = Math.max(next(), 1e-12);
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      m[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < m.length) m[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
    projections.set(key, m);
  }
  return m;
}

export function project(modality: string, x: readonly number[], to: number): Float32Array {
  const m = projection(modality, x.length, to);
  const out = new Float32Array(to);
  for (let r = 0; r < to; r++) {
    let s = 0;
    const row = r * x.length;
    for (let c = 0; c < x.length; c++) s += m[row + c]! * x[c]!;
    out[r] = s;
  }
  return l2normalise(out);
}

/** The text the n-gram channel reads: the item's own words, without template labels. */
export function ngramSource(item: Item): string {
  return [item.title, item.description ?? '', ...(item.tags ?? [])].join(' ');
}

/**
 * Signed feature hashing of character 1- and 2-grams (spaces and punctuation skipped) and, for CJK
 * text, its words as jieba segments them; unit length.
 */
export function charNgramVector(text: string, dim: number): Float32Array {
  const chars = [...text.normalize('NFKC').toLowerCase()].filter((c) => /[\p{L}\p{N}]/u.test(c));
  const v = new Float32Array(dim);
  const add = (g: string, w: number) => {
    const h = fnv1a(g);
    v[h % dim] = v[h % dim]! + (h & 0x80000000 ? -w : w);
  };
  for (let i = 0; i < chars.length; i++) {
    add(chars[i]!, 0.5);
    if (i + 1 < chars.length) add(chars[i]! + chars[i + 1]!, 1);
  }
  // Chinese writes no spaces: jieba's words (炒锅, 不粘锅) add what a character pair cannot say
  if (hasCjk(text)) for (const w of words(text)) if (w.cjk && [...w.word].length >= 2) add(`w:${w.word}`, 1);
  return l2normalise(v);
}

export interface FuseInput {
  text: Float32Array;
  /** readable share of the unified text (1 when the encoder reads everything) */
  coverage: number;
  item: Item;
}

/** The item's vector from its text vector and its other channels; unit length, text dimension. */
export function fuseItemVector(input: FuseInput, w: FusionWeights = DEFAULT_FUSION): Float32Array {
  const dim = input.text.length;
  const out = new Float32Array(dim);
  const addScaled = (v: Float32Array, k: number) => {
    if (k === 0) return;
    for (let i = 0; i < dim; i++) out[i] = out[i]! + k * v[i]!;
  };
  const c = Math.min(1, Math.max(0, input.coverage));
  if (c < w.minCoverage) {
    addScaled(input.text, w.text * c);
    addScaled(charNgramVector(ngramSource(input.item), dim), w.ngram * (1 - c));
  } else addScaled(input.text, w.text);
  const img = input.item.image?.vector;
  if (img && img.length > 0) addScaled(project('image', img, dim), w.image);
  const aud = input.item.audio?.vector;
  if (aud && aud.length > 0) addScaled(project('audio', aud, dim), w.audio);
  return l2normalise(out);
}
