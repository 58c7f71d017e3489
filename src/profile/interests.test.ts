import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildProfile, updateProfile } from './interests.ts';
import type { HistoryEntry, ItemSpace } from './types.ts';
import { eventWeight, textSentiment } from './weights.ts';

/** items 0-4 point along axis 0 (tea), 5-9 along axis 1 (knives), 10 along axis 2 */
function space(): ItemSpace {
  const dim = 4;
  const titles = [
    ...Array.from({ length: 5 }, (_, i) => `green tea leaves ${i}`),
    ...Array.from({ length: 5 }, (_, i) => `chef knife steel ${i}`),
    'rubber duck',
  ];
  return {
    dim,
    title: (i) => titles[i] ?? '',
    vector: (i) => {
      const v = new Float32Array(dim);
      const axis = i < 5 ? 0 : i < 10 ? 1 : 2;
      v[axis] = 1;
      v[3] = (i % 5) * 0.05;
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    },
  };
}

const entry = (item: number, scenario: string, ts: number, weight = 1): HistoryEntry => ({
  item,
  scenario,
  weight,
  ts,
});

describe('multi-interest profiles', () => {
  it('separates two interests, labels them from titles and records their scenario mix', () => {
    const h = [0, 5, 1, 6, 2, 7, 3, 8].map((item, t) => entry(item, item < 5 ? 'food' : 'kitchen', t));
    const p = buildProfile('u', h, space());
    assert.equal(p.interests.length, 2);
    const labels = p.interests.map((i) => i.label).join(' | ');
    assert.match(labels, /tea/);
    assert.match(labels, /knife/);
    for (const i of p.interests) assert.equal(Object.keys(i.scenarioMix).length, 1);
    assert.ok(Math.abs(p.interests.reduce((s, i) => s + i.weight, 0) - 1) < 1e-9);
    assert.deepEqual(Object.keys(p.perScenario).sort(), ['food', 'kitchen']);
  });

  it('is deterministic', () => {
    const h = [0, 5, 1, 6, 2, 10, 3].map((item, t) => entry(item, 'x', t));
    assert.deepEqual(buildProfile('u', h, space()), buildProfile('u', h, space()));
  });

  it('a negative event pushes its interest away from the disliked item', () => {
    const s = space();
    const h = [0, 1, 2, 3].map((item, t) => entry(item, 'food', t));
    const before = buildProfile('u', h, s).interests[0]!.vector;
    const after = updateProfile(buildProfile('u', h, s), [entry(4, 'food', 10, -2)], s).interests[0]!.vector;
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((acc, x, i) => acc + x * b[i]!, 0);
    assert.ok(dot(after, s.vector(4)!) < dot(before, s.vector(4)!));
  });

  it('weights recent and strong events more: the latest interest leads', () => {
    const h = [
      ...[5, 6, 7, 8].map((i, t) => entry(i, 'k', t)),
      ...[0, 1, 2, 3].map((i, t) => entry(i, 'f', 10 + t, 3)),
    ];
    const p = buildProfile('u', h, space(), {
      maxInterests: 4,
      recencyDecay: 0.7,
      negativePush: 0.3,
      maxHistory: 200,
    });
    assert.match(p.interests[0]!.label, /tea/);
  });
});

describe('event weights', () => {
  it('turn dislikes, skips, low ratings, short dwell and negative reviews negative', () => {
    assert.ok(eventWeight({ type: 'dislike' }) < 0);
    assert.ok(eventWeight({ type: 'skip' }) < 0);
    assert.ok(eventWeight({ type: 'rate', value: 1 }) < 0);
    assert.ok(eventWeight({ type: 'rate', value: 5 }) > 0);
    assert.ok(eventWeight({ type: 'view', value: 1 }) < 0);
    assert.ok(eventWeight({ type: 'view', value: 60 }) > 0);
    assert.ok(eventWeight({ type: 'comment', text: 'terrible, it broke after a day, awful' }) < 0);
    assert.ok(
      eventWeight({ type: 'comment', text: 'I love it, excellent and beautiful' }) >
        eventWeight({ type: 'comment', text: 'it arrived' }),
    );
    assert.equal(eventWeight({ type: 'purchase' }, { purchase: 7 }), 7);
    assert.ok(textSentiment('awful') < 0 && textSentiment('great') > 0);
  });
});
