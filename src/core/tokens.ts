/**
 * Language-aware word splitting. Text with CJK characters goes through jieba (dictionary-based
 * Chinese segmentation: 不粘锅炒锅 -> 不粘锅 · 炒锅); everything else splits on non-letters. The
 * jieba dictionary (about a second to load) is loaded on the first CJK text only, once per process.
 * Each phrase (a run between punctuation) is its own list, so callers never join words across a
 * comma or a bracket into a bigram.
 */
import { createRequire } from 'node:module';

/** Han, Hiragana, Katakana, Hangul, CJK punctuation-free letters */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_ALL = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

/** share of the text's letters and digits that are CJK characters */
export function cjkShare(text: string): number {
  const letters = text.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
  if (letters === 0) return 0;
  return (text.match(CJK_ALL)?.length ?? 0) / letters;
}

/** The writing systems a text uses beyond Latin, by name (for "the encoder cannot read ..." notices). */
export function scriptsOf(text: string): string[] {
  const out: string[] = [];
  if (/\p{Script=Han}/u.test(text)) out.push('Chinese');
  if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(text)) out.push('Japanese');
  if (/\p{Script=Hangul}/u.test(text)) out.push('Korean');
  if (/\p{Script=Cyrillic}/u.test(text)) out.push('Cyrillic');
  if (/\p{Script=Arabic}/u.test(text)) out.push('Arabic');
  if (/\p{Script=Greek}/u.test(text)) out.push('Greek');
  if (/\p{Script=Hebrew}/u.test(text)) out.push('Hebrew');
  if (/\p{Script=Thai}/u.test(text)) out.push('Thai');
  if (/\p{Script=Devanagari}/u.test(text)) out.push('Devanagari');
  return out;
}

interface Segmenter {
  cut(text: string, hmm?: boolean): string[];
}

let jieba: Segmenter | undefined;

function segmenter(): Segmenter {
  if (!jieba) {
    // a native module with its dictionary in a separate entry point: loaded on first CJK text
    const require = createRequire(import.meta.url);
    const { Jieba } = require('@node-rs/jieba') as { Jieba: { withDict(d: Uint8Array): Segmenter } };
    const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
    jieba = Jieba.withDict(dict);
  }
  return jieba;
}

/** A word as written (`raw`, for case checks) and folded (`word`: NFKC, lower case). */
export interface Token {
  raw: string;
  word: string;
  cjk: boolean;
}

/** punctuation that ends a phrase; a hyphen only between spaces ("Song - Artist"), not in "pour-over" */
const PHRASE_BREAK = /[,;:.!?()[\]{}"“”‘’|/\\·•–—&+、，。；：！？（）【】《》「」]+|\s-+\s/u;

const ASCII = /^[\x20-\x7e]*$/;

/** Words of a text, grouped by phrase; CJK runs segmented by jieba. */
export function phrases(text: string): Token[][] {
  const out: Token[][] = [];
  const folded = ASCII.test(text) ? text : text.normalize('NFKC');
  for (const part of folded.split(PHRASE_BREAK)) {
    const pieces = hasCjk(part) ? segmenter().cut(part, true) : part.split(/[^\p{L}\p{N}]+/u);
    const words: Token[] = [];
    for (const p of pieces) {
      // jieba keeps Latin runs together ("28cm", "Lodge"); split any punctuation left inside
      for (const raw of p.split(/[^\p{L}\p{N}]+/u)) {
        if (!raw) continue;
        words.push({ raw, word: raw.toLowerCase(), cjk: !ASCII.test(raw) && CJK.test(raw) });
      }
    }
    if (words.length > 0) out.push(words);
  }
  return out;
}

/** All words of a text, in order. */
export function words(text: string): Token[] {
  return phrases(text).flat();
}
