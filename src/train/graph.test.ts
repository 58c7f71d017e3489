import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildItemGraphs, carriesNoOrder, DEFAULT_GRAPH_OPTIONS, edgeWeight } from './graph.ts';

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

  it('order-free data co-occurs over the whole history, unweighted by distance', () => {
    const long = [[0, 5, 6, 7, 1]];
    const windowed = buildItemGraphs(long, 8, () => 'a', { ...DEFAULT_GRAPH_OPTIONS, window: 2 });
    assert.equal(edgeWeight(windowed.knn, 0, 1), 0);
    const whole = buildItemGraphs(long, 8, () => 'a', {
      ...DEFAULT_GRAPH_OPTIONS,
      window: 2,
      wholeHistory: true,
    });
    assert.ok(edgeWeight(whole.knn, 0, 1) > 0);
    assert.equal(edgeWeight(whole.knn, 0, 1), edgeWeight(whole.knn, 0, 5));
  });

  it('detects histories whose timestamps carry no order', () => {
    assert.equal(carriesNoOrder([[5, 5, 5], [7, 7], [1]]), true);
    assert.equal(
      carriesNoOrder([
        [1, 2, 3],
        [7, 7],
        [4, 9],
      ]),
      false,
    );
    assert.equal(carriesNoOrder([[1], []]), false);
  });

  it('a fused graph keeps every within-scenario edge of the per-scenario graph (top k per scenario)', () => {
    // 0's strongest partner (5) lives in scenario b; its best partner in its own scenario is 1
    const seqs2 = [
      [0, 5],
      [0, 5],
      [0, 5],
      [0, 1],
      [0, 1],
    ];
    const sc = (i: number) => (i === 5 ? 'b' : 'a');
    const opts = { ...DEFAULT_GRAPH_OPTIONS, maxNeighbors: 1, shrink: 0 };
    const fused = buildItemGraphs(seqs2, 6, sc, opts);
    const alone = buildItemGraphs(seqs2, 6, sc, { ...opts, crossScenario: false });
    assert.ok(edgeWeight(alone.knn, 0, 1) > 0);
    assert.equal(edgeWeight(fused.knn, 0, 1), edgeWeight(alone.knn, 0, 1));
    assert.ok(edgeWeight(fused.knn, 0, 5) > 0);
  });

  it('a fused graph keeps the per-scenario transition weights; cross transitions do not dilute them', () => {
    // 0 is followed by 1 (same scenario) twice and by 5 (other scenario) three times
    const seqs2 = [
      [0, 1],
      [0, 1],
      [0, 5],
      [0, 5],
      [0, 5],
    ];
    const sc = (i: number) => (i === 5 ? 'b' : 'a');
    const fused = buildItemGraphs(seqs2, 6, sc);
    const alone = buildItemGraphs(seqs2, 6, sc, { ...DEFAULT_GRAPH_OPTIONS, crossScenario: false });
    assert.ok(edgeWeight(alone.trans, 0, 1) > 0);
    assert.equal(edgeWeight(fused.trans, 0, 1), edgeWeight(alone.trans, 0, 1));
    assert.ok(edgeWeight(fused.trans, 0, 5) > edgeWeight(fused.trans, 0, 1));
  });
});
