/**
 * How much one event says about a user's interest: a signed weight from the event type (scenario
 * `eventWeights` override the defaults), its value (rating, play count, dwell seconds) and the
 * sentiment of its text. Negative weights push the profile away from the item.
 */
import Sentiment from 'sentiment';
import { cjkShare } from '../core/tokens.ts';
import { chineseSentiment } from './sentiment-zh.ts';

const DEFAULT_EVENT_WEIGHTS: Readonly<Record<string, number>> = {
  view: 1,
  click: 1,
  like: 2,
  dislike: -2,
  cart: 2,
  purchase: 3,
  rate: 2,
  play: 1,
  skip: -1,
  complete: 2,
  share: 2,
  comment: 1,
  tag: 1.5,
};

/** dwell below this many seconds on a view counts as a bounce, a mild negative signal */
const SHORT_DWELL_SECONDS = 3;

export interface WeightInput {
  type: string;
  value?: number | undefined;
  text?: string | undefined;
}

const analyser = new Sentiment();

/**
 * Sentiment of a comment or review in [-1, 1] (the `sentiment` package's comparative score,
 * clipped); text written mostly in Chinese goes to the Chinese scorer (src/profile/sentiment-zh.ts).
 */
export function textSentiment(text: string): number {
  if (!text.trim()) return 0;
  if (cjkShare(text) >= 0.5) return chineseSentiment(text);
  const c = analyser.analyze(text).comparative;
  return Math.max(-1, Math.min(1, c));
}

/** the table's own entry: a type is client input, and `constructor` is on every object's prototype */
const own = (table: Readonly<Record<string, number>>, type: string): number | undefined =>
  Object.hasOwn(table, type) ? table[type] : undefined;

/**
 * Text the English analyser cannot read: most of its letters are outside the Latin script
 * (Chinese, Japanese, Cyrillic, ...). With a generator configured the engine asks it about these.
 */
export function needsModelSentiment(text: string): boolean {
  const letters = text.match(/\p{L}/gu)?.length ?? 0;
  if (letters === 0) return false;
  return (text.match(/\p{Script=Latin}/gu)?.length ?? 0) / letters < 0.5;
}

/**
 * `sentiment` scores the event's text: the engine passes one that knows generated scores
 * (src/engine/review-sentiment.ts); everything else reads the analysers here.
 */
export function eventWeight(
  e: WeightInput,
  overrides: Readonly<Record<string, number>> = {},
  sentiment: (text: string) => number = textSentiment,
): number {
  let w = own(overrides, e.type) ?? own(DEFAULT_EVENT_WEIGHTS, e.type) ?? 1;
  const v = e.value;
  if (v !== undefined && Number.isFinite(v)) {
    if (e.type === 'rate') {
      // 5-point scale centred on 3: 1 star is as negative as 5 stars is positive
      w = Math.abs(w) * ((v - 3) / 2);
    } else if (e.type === 'play') {
      w *= Math.log1p(Math.max(0, v)) / Math.log(2) || 0.5;
    } else if (e.type === 'view' && v < SHORT_DWELL_SECONDS) {
      w = -0.5 * Math.abs(w);
    }
  }
  if (e.text) {
    const s = sentiment(e.text);
    // clearly negative text turns the event negative; positive text strengthens it
    if (s < -0.1) w = -Math.abs(w) * Math.min(1, -s * 2);
    else if (s > 0.1) w *= 1 + s;
  }
  return w;
}
