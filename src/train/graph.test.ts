import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildItemGraphs, DEFAULT_GRAPH_OPTIONS, edgeWeight } from './graph.ts';

describe('item graphs', () => {
  // a known answer: 0 is always followed by 1; 2 and 3 always co-occur; 4 is everywhere (popular)
  const seqs = [
    [0, 1, 4],
    [0, 1, 4],
    [2, 3, 4],
    [3, 2, 4],
    [0, 1],
    [2, 3],
  ];
  const scen = (i: number) => (i === 3 ? 'b' : 'a');

  it('co-occurrence neighbours rank the true partner first, above the popular item', () => {
    const g = buildItemGraphs(seqs, 5, scen);
    assert.ok(edgeWeight(g.knn, 2, 3) > edgeWeight(g.knn, 2, 4));
    assert.ok(edgeWeight(g.knn, 0, 1) > edgeWeight(g.knn, 0, 4));
    assert.equal(g.knn.items[g.knn.offsets[0]!], 1);
    assert.deepEqual(Array.from(g.counts), [3, 3, 3, 3, 4]);
  });

  it('transitions are directional', () => {
    const g = buildItemGraphs(seqs, 5, scen);
    assert.ok(edgeWeight(g.trans, 0, 1) > 0);
    assert.equal(edgeWeight(g.trans, 1, 0), 0);
  });

  it('without cross-scenario fusion, pairs across scenarios are dropped', () => {
    const g = buildItemGraphs(seqs, 5, scen, { ...DEFAULT_GRAPH_OPTIONS, crossScenario: false });
    assert.equal(edgeWeight(g.knn, 2, 3), 0);
    assert.ok(edgeWeight(g.knn, 0, 1) > 0);
  });
});
