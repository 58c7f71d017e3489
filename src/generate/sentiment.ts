/**
 * The sentiment of one comment or review, as a generative model reads it: any language, negation
 * and context included, which a word list misses. The model answers one number in [-1, 1]; any
 * other answer (prose, a number out of range, an empty or broken reply, a timeout) is no answer,
 * and the caller keeps its lexicon score. Never throws for a model failure.
 */
import type { Generator } from './types.ts';

/** longest text sent: a review's verdict is in its first lines */
const MAX_CHARS = 600;

const SYSTEM =
  'You rate the sentiment of a customer comment or review about a product, video, song or article. ' +
  'Answer with a single number from -1 (very negative) to 1 (very positive); 0 when it is neutral or unclear. ' +
  'Answer with the number only.';

/** the reply's number when the reply is a number in [-1, 1] and nothing else of substance */
export function parseSentiment(reply: string): number | undefined {
  const m = /^\s*(?:score\s*[:：]\s*)?([+-]?(?:\d+(?:\.\d+)?|\.\d+))\s*\.?\s*$/i.exec(reply);
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) && v >= -1 && v <= 1 ? v : undefined;
}

export interface GeneratedSentimentOptions {
  generator: Generator;
  signal?: AbortSignal;
}

/** the model's score of the text in [-1, 1], or undefined when it gave no usable answer */
export async function generatedSentiment(
  text: string,
  o: GeneratedSentimentOptions,
): Promise<number | undefined> {
  try {
    const reply = await o.generator.complete(
      [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: text.slice(0, MAX_CHARS) },
      ],
      { maxTokens: 8, temperature: 0, ...(o.signal ? { signal: o.signal } : {}) },
    );
    return parseSentiment(reply);
  } catch {
    return undefined;
  }
}
