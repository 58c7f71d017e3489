import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RANKER, FEATURE, FEATURES, weightOf, weightsByName } from './scoring.ts';

describe('features by name', () => {
  it('FEATURE gives each name its position in FEATURES (the order trained models store)', () => {
    FEATURES.forEach((name, k) => {
      assert.equal(FEATURE[name], k);
    });
    assert.equal(Object.keys(FEATURE).length, FEATURES.length);
  });

  it('the default weights written by name are the same array as before, in the same order', () => {
    assert.deepEqual(
      DEFAULT_RANKER.shared,
      [1, 0.5, 1, 0.3, 0.3, 0.1, 0.2, -0.3, 0.2, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
    assert.equal(weightOf(DEFAULT_RANKER.shared, 'negative'), -0.3);
    assert.equal(weightOf([1], 'seq'), 0);
    assert.deepEqual(weightsByName({ seq: 2 })[FEATURE.seq], 2);
  });
});
