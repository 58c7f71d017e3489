import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserProfile } from '../profile/types.ts';
import { ProfileMemo } from './memo.ts';

const profile = (user: string) => ({ user }) as unknown as UserProfile;
const hits = [[{ key: 1, score: 0.5 }]];

describe('ProfileMemo', () => {
  test('keeps at most `capacity` profiles, least recently used out first', () => {
    const memo = new ProfileMemo(2);
    const [a, b, c] = [profile('a'), profile('b'), profile('c')];
    memo.setSearch(a, 'k', hits);
    memo.setSearch(b, 'k', hits);
    memo.text(a); // a is now the most recently used
    memo.setSearch(c, 'k', hits);
    assert.equal(memo.size, 2);
    assert.deepEqual(memo.getSearch(a, 'k'), hits);
    assert.equal(memo.getSearch(b, 'k'), undefined, 'b was the least recently used');
    assert.deepEqual(memo.getSearch(c, 'k'), hits);
  });

  test('looking an entry up does not count as a use; writing to it does', () => {
    const memo = new ProfileMemo(2);
    const [a, b, c, d] = [profile('a'), profile('b'), profile('c'), profile('d')];
    memo.setSearch(a, 'k', hits);
    memo.setSearch(b, 'k', hits);
    memo.getSearch(a, 'k');
    memo.getRanked(a, 'k', 0, 1000);
    memo.setSearch(c, 'k', hits);
    assert.equal(memo.getSearch(a, 'k'), undefined, 'a was evicted despite the lookups');
    memo.setSearch(b, 'other', hits);
    memo.setSearch(d, 'k', hits);
    assert.deepEqual(memo.getSearch(b, 'k'), hits, 'the write kept b');
    assert.equal(memo.getSearch(c, 'k'), undefined);
  });

  test('the text memo of a profile lives as long as its entry; forget and clear drop entries', () => {
    const memo = new ProfileMemo(4);
    const a = profile('a');
    assert.equal(memo.text(a), memo.text(a));
    const ranked = {
      at: 100,
      items: [1],
      source: new Map(),
      used: [],
      base: new Float32Array(1),
      weights: [],
      explained: new Map(),
      similar: new Map(),
    };
    memo.setRanked(a, 'shop', ranked);
    assert.equal(memo.getRanked(a, 'shop', 150, 100), ranked);
    assert.equal(memo.getRanked(a, 'shop', 200, 100), undefined, 'older than maxAgeMs');
    memo.forget(a);
    assert.equal(memo.size, 0);
    memo.text(a);
    memo.clear();
    assert.equal(memo.size, 0);
  });
});
