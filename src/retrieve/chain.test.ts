import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retrieveChain } from './chain.ts';
import { listRetriever } from './popular.ts';
import type { RetrievalSignals } from './types.ts';

describe('fallback chain', () => {
  const q = { scenarioCode: 0 } as RetrievalSignals;
  const a = listRetriever('a', () => [1, 2, 3]);
  const b = listRetriever('b', () => [3, 4]);
  const catalog = listRetriever('catalog', () => Array.from({ length: 20 }, (_, i) => i));

  it('merges the relevance retrievers round-robin and fills the rest from the catalog', () => {
    const r = retrieveChain(
      [a, b, catalog],
      { signals: q, k: 8, skip: (i) => i === 0 },
      new Set(['catalog']),
    );
    assert.deepEqual(r.items.slice(0, 4), [1, 3, 2, 4]);
    assert.equal(r.items.length, 8);
    assert.ok(!r.items.includes(0));
    assert.equal(new Set(r.items).size, 8);
    assert.equal(r.source.get(3), 'b');
    assert.deepEqual(r.used, ['a', 'b', 'catalog']);
  });

  it('does not call on fillers when the others already gave k', () => {
    const r = retrieveChain([a, b, catalog], { signals: q, k: 3, skip: () => false }, new Set(['catalog']));
    assert.deepEqual(r.used, ['a', 'b']);
  });
});
