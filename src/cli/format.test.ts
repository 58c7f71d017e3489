import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Recommendation } from '../engine/types.ts';
import { describeContext, formatInterests, formatRecommendations } from './format.ts';

const rec = (item: string, score: number): Recommendation => ({
  item,
  title: `Title ${item}`,
  scenario: 'shop',
  score,
  reasons: { retriever: 'semantic', history: [], context: [] },
});

describe('CLI output', () => {
  it('says the hour bucket, weekday and device as words', () => {
    assert.equal(
      describeContext({ feature: 'hour', value: '4', effect: 0.0123 }),
      'in the evening (16–20 h) +0.012',
    );
    assert.equal(describeContext({ feature: 'hour', value: '0', effect: -0.5 }), 'at night (0–4 h) -0.500');
    assert.equal(describeContext({ feature: 'weekday', value: '0', effect: 0 }), 'on Sundays +0.000');
    assert.equal(describeContext({ feature: 'device', value: 'mobile', effect: 0.1 }), 'on mobile +0.100');
  });

  it('a list out of score order says that diversity re-ranking made it so', () => {
    const ordered = formatRecommendations([rec('a', 3), rec('b', 2)], 0.1);
    assert.doesNotMatch(ordered, /diversity/);
    const reranked = formatRecommendations([rec('a', 3), rec('c', 1), rec('b', 2)], 0.3);
    assert.match(reranked, /order includes diversity re-ranking, λ=0\.3/);
  });

  it('interests list their items by title, with the id', () => {
    const text = formatInterests(
      [
        {
          id: 'i',
          label: 'rock',
          summary: '',
          weight: 1,
          scenarioMix: { music: 1 },
          lastTs: 0,
          topItems: ['m1', 'm2'],
        },
      ],
      new Map([['m1', 'Iron Tide']]),
    );
    assert.match(text, /items: "Iron Tide" \[m1\], m2/);
  });
});
