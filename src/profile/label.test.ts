import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generateDemo } from '../demo/generate.ts';
import { buildProfile } from './interests.ts';
import { type LabelSource, LabelVocabulary, labelFromTitles, labelTerms } from './label.ts';
import type { ItemSpace } from './types.ts';

/** words no label may hold: numbers alone and the commonest English and Chinese stop words */
const STOP = new Set(
  'a an and the of for with in on to by from at or is are was be it its this that as not but if so no all any my your our their 的 了 和 与 及 或 在 是 有 为 对 把 被 等 个 套 家用'.split(
    ' ',
  ),
);
function assertReadable(label: string, where: string): void {
  const words = label.split(/\s*·\s*|\s+/).filter(Boolean);
  assert.ok(words.length >= 1, `${where}: empty label`);
  assert.ok(words.length <= 3, `${where}: "${label}" has more than three words`);
  for (const w of words) {
    assert.ok(!/^\d+$/.test(w), `${where}: "${label}" holds the number-only token "${w}"`);
    assert.ok(!STOP.has(w), `${where}: "${label}" holds the stop word "${w}"`);
  }
}

const shop = (title: string, extra: Partial<LabelSource> = {}): LabelSource => ({
  title,
  scenario: 'shop',
  ...extra,
});

/** a kitchen shop: three cast-iron skillets among knives, kettles and mugs that all say "kitchen" */
const CATALOG: LabelSource[] = [
  shop('Lodge Cast Iron Skillet, 10.25 Inch, Pre-Seasoned'),
  shop('Cast Iron Skillet 12 inch with Handle, Pack of 2'),
  shop('Victoria Cast Iron Skillet for the Kitchen, 8 inch'),
  shop('Kitchen chef knife, 8 inch stainless steel'),
  shop('Kitchen paring knife set of 3'),
  shop('Electric kitchen kettle 1.7 L, stainless steel'),
  shop('Kitchen coffee mug 12 oz, set of 4'),
  shop('Kitchen towels 100% cotton, pack of 6'),
  shop('608 bearings double shielded, 100 pcs'),
  shop('Kitchen scale, digital, 5 kg'),
];

describe('interest labels (class-based TF-IDF)', () => {
  test('known answer: the skillets are "cast iron · skillet", not "kitchen" nor "inch"', () => {
    const v = new LabelVocabulary(CATALOG);
    assert.equal(v.label([0, 1, 2]), 'cast iron · skillet');
    assert.equal(v.label([3, 4]), 'knife');
  });

  test('a word on every item of the scenario weighs less than one that sets the interest apart', () => {
    const items = [
      ...['rooibos', 'sencha', 'matcha'].map((t) => shop(`Organic ${t} tea`)),
      ...Array.from({ length: 12 }, (_, i) =>
        shop(`Organic snack bar no${i} flavour ${String.fromCharCode(97 + i)}x`),
      ),
    ];
    const v = new LabelVocabulary(items);
    assert.equal(v.label([0, 1, 2]), 'tea');
  });

  test('tags and categories are preferred over title words', () => {
    const items = [
      shop('Chemex Classic 6-cup glass', {
        tags: ['pour over', 'coffee'],
        category: ['Kitchen', 'Coffee Makers'],
      }),
      shop('Hario V60 dripper size 02', { tags: ['pour over'], category: ['Kitchen', 'Coffee Makers'] }),
      shop('Kalita Wave 185 dripper', { tags: ['pour over'], category: ['Kitchen', 'Coffee Makers'] }),
      ...[
        'Stainless saucepan 2 qt',
        'Nonstick frying pan',
        'Dutch oven',
        'Stock pot',
        'Wok',
        'Sauté pan',
      ].map((t) => shop(t, { category: ['Kitchen', 'Cookware'] })),
    ];
    const v = new LabelVocabulary(items);
    // the category beats the title words; a second term fills the rest of the three words
    assert.equal(v.label([0, 1, 2]), 'coffee makers · dripper');
  });

  test('numbers, units, model numbers, all-caps codes and stop words never reach a label', () => {
    const terms = labelTerms(shop('ZWILLING 608ZZ Bearings for the Skateboard, 100 pcs, 22 mm x 7 mm'));
    assert.deepEqual(terms.map((t) => t.term).sort(), ['bearings', 'skateboard']);
    assert.equal(labelTerms(shop('LED STRIP LIGHTS')).length, 5, 'an all-caps title keeps its words');
    assert.equal(labelFromTitles(['100 American Disconnects', '100 american flags']), 'american');
  });

  test('a phrase never spans punctuation and HTML entities are text', () => {
    const t = labelTerms(shop('Macaroni &amp; Cheese, Pasta Shells')).map((x) => x.term);
    assert.ok(t.includes('macaroni'));
    assert.ok(!t.includes('macaroni cheese'), 'the & breaks the phrase');
    assert.ok(!t.includes('amp'));
    assert.ok(!t.includes('cheese pasta'), 'the comma breaks the phrase');
    assert.ok(t.includes('pasta shells'));
  });

  test('upserting items moves the counts with them: the same labels as a vocabulary built afresh', () => {
    const v = new LabelVocabulary(CATALOG);
    const now = [...CATALOG];
    for (const [i, title] of [
      [3, 'Cast iron skillet lid'],
      [4, 'Cast iron skillet scraper'],
      [3, 'Chef knife, 8 inch'],
      [10, 'Cast iron grill pan'],
    ] as const) {
      v.set(i, shop(title));
      now[i] = shop(title);
    }
    const fresh = new LabelVocabulary(now);
    for (const members of [
      [0, 1, 2],
      [3, 4],
      [0, 10],
      [1, 4, 10],
      [5, 6, 7],
    ])
      assert.equal(v.label(members), fresh.label(members), `items ${members}`);
    assert.match(v.label([0, 1, 2, 4, 10]), /skillet/);
  });

  test('Chinese: jieba words, not characters, make the label', () => {
    const zh = (title: string) => ({ title, scenario: 'shop' });
    const items = [
      zh('不粘锅炒锅家用'),
      zh('铸铁炒锅 无涂层'),
      zh('不粘锅平底锅 煎锅'),
      zh('不锈钢厨房刀具套装'),
      zh('陶瓷咖啡杯 马克杯'),
      zh('玻璃茶壶 耐热'),
    ];
    const v = new LabelVocabulary(items);
    const label = v.label([0, 1, 2]);
    assert.deepEqual(label.split(' · ').sort(), ['不粘锅', '炒锅']);
    assert.ok(!label.includes('家用'), 'a filler word is dropped');
  });

  test('property: any set of demo items gets a readable label of at most three words', () => {
    const items = generateDemo({ seed: 3, users: 2, now: Date.UTC(2026, 0, 1) }).items;
    const v = new LabelVocabulary(items);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: items.length - 1 }), { minLength: 1, maxLength: 25 }),
        (members) => {
          const label = v.label(members);
          if (label) assertReadable(label, `items ${members.join(',')}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('demo catalog with its Chinese slice: every interest of every user has a readable label', () => {
    const d = generateDemo({ seed: 42, users: 60, now: Date.UTC(2026, 0, 15, 12), lang: 'zh' });
    const index = new Map(d.items.map((it, i) => [it.id, i]));
    const vocab = new LabelVocabulary(d.items);
    // one dimension per theme: the interests the clustering finds are the user's themes
    const themes = [...new Set(d.items.map((it) => String(it.attributes?.theme)))];
    const space: ItemSpace = {
      dim: themes.length,
      title: (i) => d.items[i]!.title,
      vector: (i) => {
        const v = new Float32Array(themes.length);
        v[themes.indexOf(String(d.items[i]!.attributes?.theme))] = 1;
        return v;
      },
      labels: vocab,
    };
    const byUser = new Map<string, typeof d.events>();
    for (const e of d.events) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e]);
    let checked = 0;
    let chinese = 0;
    for (const [user, events] of byUser) {
      const h = events.map((e) => ({ item: index.get(e.item)!, scenario: e.scenario, weight: 1, ts: e.ts }));
      const p = buildProfile(user, h, space);
      for (const list of [p.interests, ...Object.values(p.perScenario)])
        for (const c of list) {
          assertReadable(c.label, `${user} ${c.id}`);
          checked++;
          if (/\p{Script=Han}/u.test(c.label)) chinese++;
        }
    }
    assert.ok(checked > 200, `${checked} interests checked`);
    assert.ok(chinese > 12, `${chinese} Chinese interests checked`);
  });
});
