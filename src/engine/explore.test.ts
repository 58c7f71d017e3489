import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Exploration } from './explore.ts';
import type { Recommendation } from './types.ts';

const pool = Array.from({ length: 30 }, (_, i) => `i${i}`);
const catalog = {
  pool: () => pool,
  describe: (item: string) => ({ item, title: item.toUpperCase(), scenario: 's' }),
};
const ranked = (ids: string[]): Recommendation[] =>
  ids.map((item, k) => ({
    item,
    title: item,
    scenario: 's',
    score: 1 - k / 10,
    reasons: { retriever: 'popular', history: [], context: [] },
  }));

describe('exploration slot', () => {
  test('fills the last position of each block, logs its probability, 1 for the ranked items', () => {
    const x = new Exploration({ s: { every: 3, maxShows: 1000, seed: 7 } }, catalog);
    const list = ranked(['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6']);
    const r = x.apply('s', 'rec-1', list)!;
    assert.equal(r.items.length, 7);
    assert.equal(new Set(r.items.map((i) => i.item)).size, 7, 'no duplicates');
    for (const [p, it] of r.items.entries()) {
      if (p === 2 || p === 5) {
        assert.equal(it.reasons.retriever, 'exploration');
        assert.ok(r.propensity[p]! > 0 && r.propensity[p]! < 1);
      } else {
        assert.equal(it.item, list[p]!.item);
        assert.equal(r.propensity[p], 1);
      }
    }
    assert.equal(x.apply('other', 'rec-1', list), undefined);
    // the same seed and id give the same choice
    const again = new Exploration({ s: { every: 3, maxShows: 1000, seed: 7 } }, catalog).apply(
      's',
      'rec-1',
      list,
    )!;
    assert.deepEqual(
      again.items.map((i) => i.item),
      r.items.map((i) => i.item),
    );
  });

  test('never-shown items come first; items shown maxShows times leave the pool', () => {
    const x = new Exploration({ s: { every: 2, maxShows: 3, seed: 1 } }, catalog);
    const base = ranked(['i0', 'i1']);
    const seen = new Set<string>();
    for (let k = 0; k < 200; k++) {
      const r = x.apply('s', `rec-${k}`, base)!;
      seen.add(r.items[1]!.item);
    }
    // every item not in the ranked list got exposure, none more than maxShows times; once all
    // have had theirs the ranked item keeps its place
    seen.delete('i1');
    assert.equal(seen.size, 28);
    assert.equal(x.apply('s', 'rec-last', base)!.items[1]!.item, 'i1');
  });

  test('the logged probabilities are the frequencies the policy draws with', () => {
    const counts = new Map<string, number>();
    let expected = 0;
    const draws = 4000;
    for (let k = 0; k < draws; k++) {
      // a fresh policy each time: the 27 items outside the list weigh the same, so q = 1/27
      const x = new Exploration({ s: { every: 3, maxShows: 1000, seed: 3 } }, catalog);
      const r = x.apply('s', `rec-${k}`, ranked(['i0', 'i1', 'i2']))!;
      counts.set(r.items[2]!.item, (counts.get(r.items[2]!.item) ?? 0) + 1);
      expected = r.propensity[2]!;
    }
    assert.ok(Math.abs(expected - 1 / 27) < 1e-12);
    assert.equal(counts.size, 27);
    for (const c of counts.values()) {
      // binomial(4000, 1/27): mean 148, sd 12
      assert.ok(Math.abs(c - draws / 27) < 5 * 12, String(c));
    }
  });
});
