import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KnownNames, type SentenceReasons, templateSentence, ungroundedNames } from './ground.ts';

const TITLES = [
  'Lodge Cast Iron Skillet',
  'Chemex Classic Coffee Maker',
  'Kind Of Blue - Miles Davis',
  'Victorinox Chef Knife',
  'Tea',
];
const known = new KnownNames(TITLES, ['shop', 'music', 'video']);

const reasons: SentenceReasons = {
  item: { title: 'Victorinox Chef Knife', scenario: 'shop' },
  retriever: 'collaborative',
  interest: { label: 'cast iron · skillet' },
  history: [
    { title: 'Lodge Cast Iron Skillet', scenario: 'shop' },
    { title: 'Kind Of Blue - Miles Davis', scenario: 'music' },
  ],
  context: [{ feature: 'device', value: 'mobile', effect: 0.02 }],
};

describe('explanation sentences', () => {
  test('the template says what the reasons say, and passes its own check', () => {
    const s = templateSentence(reasons);
    assert.equal(
      s,
      'Because you engaged with “Lodge Cast Iron Skillet” in shop and “Kind Of Blue - Miles Davis” in music, it fits your interest in cast iron · skillet, it suits device mobile.',
    );
    assert.deepEqual(ungroundedNames(s, reasons, known), []);
  });

  test('without history or interest: the retriever speaks; scenario names are shown', () => {
    const bare: SentenceReasons = { ...reasons, history: [], context: [], retriever: 'trending' };
    delete (bare as { interest?: unknown }).interest;
    assert.equal(
      templateSentence(bare, (s) => (s === 'shop' ? 'the shop' : s)),
      'Trending in the shop right now.',
    );
  });

  test('Chinese names give a Chinese sentence', () => {
    const zh: SentenceReasons = {
      item: { title: '不粘锅平底锅', scenario: 'shop' },
      retriever: 'semantic',
      interest: { label: '炒锅 · 不粘锅' },
      history: [{ title: '铸铁炒锅', scenario: 'shop' }],
      context: [],
    };
    const s = templateSentence(zh, () => '商城');
    assert.equal(s, '因为你在商城关注过“铸铁炒锅”，符合你对“炒锅 · 不粘锅”的兴趣。');
    assert.deepEqual(
      ungroundedNames(s, zh, new KnownNames(['铸铁炒锅', '玻璃茶壶'], ['shop']), () => '商城'),
      [],
    );
    assert.deepEqual(
      ungroundedNames('你喜欢玻璃茶壶，所以推荐它。', zh, new KnownNames(['铸铁炒锅', '玻璃茶壶'], ['shop'])),
      ['玻璃茶壶'],
    );
  });

  test('an honest sentence passes, short forms of cited names included', () => {
    for (const s of [
      'You cook with the Lodge Cast Iron Skillet, so a sharp knife should fit your kitchen.',
      'Since you listened to Miles Davis in music, this pick from the shop matches your taste.',
      'Because you liked "Lodge Cast Iron Skillet", here is something for your cast iron cooking.',
      'A good match for your interest in cast iron and skillets.',
    ])
      assert.deepEqual(ungroundedNames(s, reasons, known), [], s);
  });

  test('a sentence naming an item, a scenario or a proper name the reasons do not hold is caught', () => {
    assert.deepEqual(ungroundedNames('Because you bought the Chemex Classic Coffee Maker.', reasons, known), [
      'chemex classic coffee maker',
    ]);
    assert.deepEqual(ungroundedNames('Fans of your video history will love it.', reasons, known), ['video']);
    // not in the catalog at all, but named as a title: an invention
    assert.ok(
      ungroundedNames('Because you liked "The Joy of Cooking".', reasons, known).includes(
        'the joy of cooking',
      ),
    );
    assert.deepEqual(ungroundedNames('Pairs well with your Le Creuset Dutch Oven.', reasons, known), [
      'le creuset dutch oven',
    ]);
  });
});
