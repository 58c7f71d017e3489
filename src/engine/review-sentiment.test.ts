import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSentiment } from '../generate/sentiment.ts';
import type { ChatMessage, Generator } from '../generate/types.ts';
import { textSentiment } from '../profile/weights.ts';
import { ReviewSentiment } from './review-sentiment.ts';

/** a generator whose replies the test hands out one by one */
function heldGenerator() {
  const asked: { text: string; answer: (reply: string | Error) => void }[] = [];
  const generator: Generator = {
    id: 'fake:held',
    complete: (messages: readonly ChatMessage[]) =>
      new Promise<string>((resolve, reject) => {
        asked.push({
          text: messages[1]!.content,
          answer: (r) => (r instanceof Error ? reject(r) : resolve(r)),
        });
      }),
    close: async () => {},
  };
  return { generator, asked };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('generated review sentiment', () => {
  test('a reply is used only when it is a number in [-1, 1]', () => {
    assert.equal(parseSentiment('-0.8'), -0.8);
    assert.equal(parseSentiment(' 0.5.\n'), 0.5);
    assert.equal(parseSentiment('Score: 1'), 1);
    assert.equal(parseSentiment('.3'), 0.3);
    for (const bad of ['5', '-1.5', 'quite negative', '-0.8 because the pan sticks', '', 'NaN'])
      assert.equal(parseSentiment(bad), undefined, bad);
  });

  test('scores now from the analysers, asks the model in the background, then answers its score', async () => {
    const { generator, asked } = heldGenerator();
    const told: string[][] = [];
    const rs = new ReviewSentiment({ generator, onScored: (u) => told.push([...u]) });
    const text = '锅底一下子就粘了，涂层掉得厉害';
    assert.equal(rs.score(text, 'u1'), textSentiment(text));
    assert.equal(rs.score(text, 'u2'), textSentiment(text), 'still waiting: the same text is asked once');
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.text, text);
    asked[0]!.answer('-0.8');
    await tick();
    assert.equal(rs.score(text, 'u1'), -0.8);
    assert.deepEqual(told, [['u1', 'u2']], 'the users whose profiles read the text are told');
    assert.equal(asked.length, 1, 'a known score is not asked again');
    assert.deepEqual(rs.stats, { generated: 1, failed: 0, deferred: 0 });
    rs.close();
  });

  test('English text never goes to the model; a failed or useless answer keeps the analysers’ score for good', async () => {
    const { generator, asked } = heldGenerator();
    const told: string[][] = [];
    const rs = new ReviewSentiment({ generator, onScored: (u) => told.push([...u]) });
    assert.equal(rs.score('awful, broke in a week', 'u1'), textSentiment('awful, broke in a week'));
    assert.equal(asked.length, 0);
    rs.score('质量太差了', 'u1');
    rs.score('非常满意', 'u1');
    assert.equal(asked.length, 2);
    asked[0]!.answer(new Error('GENERATOR_UNAVAILABLE'));
    asked[1]!.answer('I would say it is rather positive');
    await tick();
    assert.equal(rs.score('质量太差了', 'u1'), textSentiment('质量太差了'));
    assert.equal(rs.score('非常满意', 'u1'), textSentiment('非常满意'));
    assert.equal(asked.length, 2, 'not asked again');
    assert.deepEqual(told, []);
    assert.deepEqual(rs.stats, { generated: 0, failed: 2, deferred: 0 });
    rs.close();
  });

  test('bounded: two calls at a time, a thousand texts waiting, the rest deferred; erasure drops a user’s', async () => {
    const { generator, asked } = heldGenerator();
    const rs = new ReviewSentiment({ generator, onScored: () => {} });
    for (let i = 0; i < 1100; i++) rs.score(`第${i}条评论很好`, i === 5 ? 'erased' : 'u');
    assert.equal(asked.length, 2, 'two in flight, none of them answering');
    assert.equal(rs.stats.deferred, 1100 - 2 - 1000);
    rs.forget('erased');
    asked[0]!.answer('0.5');
    asked[1]!.answer('0.5');
    await tick();
    assert.deepEqual(
      asked.slice(2).map((a) => a.text),
      ['第2条评论很好', '第3条评论很好'],
      'the next waiting texts start as calls finish',
    );
    for (let k = 2; k < 4; k++) asked[k]!.answer('0.5');
    await tick();
    assert.ok(!asked.some((a) => a.text === '第5条评论很好'), 'the erased user’s text is not sent');
    rs.close();
    const before = asked.length;
    rs.score('关闭以后的评论', 'u');
    assert.equal(asked.length, before, 'nothing is asked after close');
  });
});
