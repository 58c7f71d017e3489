import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { unknownPlaceholders } from '../config/fusion.ts';
import { itemSchema, scenarioSchema } from '../core/types.ts';
import { unifiedText } from './template.ts';

const music = scenarioSchema.parse({ id: 'm', kind: 'music' });
const shop = scenarioSchema.parse({ id: 's', kind: 'ecommerce' });

describe('unifiedText', () => {
  test('fills every modality into one text, dropping empty segments', () => {
    const item = itemSchema.parse({
      id: 'x',
      scenario: 'm',
      title: '  Night   Drive ',
      description: 'A late-night synth track.',
      category: ['Music', 'Electronic'],
      tags: ['synthwave', 'retro'],
      image: { caption: 'neon city at night', visualTags: ['neon', 'car'] },
      audio: { descriptors: { genre: 'synthwave', mood: 'moody', tempo: 96 } },
    });
    assert.equal(
      unifiedText(item, music),
      'Night Drive. A late-night synth track. category: Music > Electronic. tags: synthwave, retro. ' +
        'image: neon city at night. visual: neon, car. sound: synthwave, moody, tempo 96. music',
    );
    assert.equal(
      unifiedText(itemSchema.parse({ id: 'y', scenario: 's', title: 'Knife' }), shop),
      'Knife. shop product',
    );
    assert.equal(unifiedText(itemSchema.parse({ id: 'y', scenario: 's', title: 'Knife' })), 'Knife');
  });

  test('cuts long descriptions on a word boundary', () => {
    const item = itemSchema.parse({ id: 'x', scenario: 's', title: 'T', description: 'word '.repeat(500) });
    const text = unifiedText(item, undefined, { maxDescriptionChars: 22 });
    assert.equal(text, 'T. word word word word…');
  });

  test('generated text fills only what the item lacks', () => {
    const bare = itemSchema.parse({ id: 'x', scenario: 's', title: 'Chemex' });
    const full = itemSchema.parse({
      id: 'y',
      scenario: 's',
      title: 'Chemex',
      description: 'Glass brewer.',
      tags: ['coffee'],
    });
    const enrichment = { description: 'A pour-over coffee maker.', keywords: ['coffee', 'pour-over'] };
    assert.equal(
      unifiedText(bare, undefined, { enrichment }),
      'Chemex. A pour-over coffee maker. coffee, pour-over',
    );
    assert.equal(unifiedText(full, undefined, { enrichment }), 'Chemex. Glass brewer. tags: coffee');
  });

  test('a custom template; unknown placeholders are found for config validation', () => {
    const item = itemSchema.parse({
      id: 'x',
      scenario: 's',
      title: 'Knife',
      attributes: { brand: 'Wüsthof', steel: 'X50' },
    });
    assert.equal(
      unifiedText(item, shop, { template: ['{scenario}: {title}', 'by {attributes}'] }),
      'shop product: Knife. by brand Wüsthof, steel X50',
    );
    assert.deepEqual(unknownPlaceholders(['{title}', '{colour} {tags} {size}']), ['colour', 'size']);
  });
});
