import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_GRAPH_OPTIONS, edgeWeight } from './graph.ts';
import { chooseGraphSettings, type GraphCase } from './tune-graph.ts';

describe('graph settings chosen on validation cases', () => {
  // 0 -> 1 and 2 -> 3 are the true pairs; 4 is everywhere
  const seqs = [
    [0, 1, 4],
    [1, 0, 4],
    [0, 1],
    [2, 3, 4],
    [3, 2, 4],
    [2, 3],
    [4, 5],
    [4, 5],
  ];
  const scen = () => 'a';
  const h = (item: number) => ({ item, scenario: 'a', weight: 1, ts: 0 });
  const cases: GraphCase[] = [
    { history: [h(0)], scenario: 'a', target: 1, masked: new Set([0]) },
    { history: [h(2)], scenario: 'a', target: 3, masked: new Set([2]) },
  ];

  it('measures every candidate value and returns graphs built with the winners', () => {
    const c = chooseGraphSettings(seqs, 6, scen, DEFAULT_GRAPH_OPTIONS, cases, {
      shrinks: [0, 10],
      easeLambdas: [0.5, 5],
    });
    assert.deepEqual(Object.keys(c.ndcg.shrink), ['0', '10']);
    assert.deepEqual(Object.keys(c.ndcg.easeLambda).sort(), ['0.5', '5']);
    assert.ok([0, 10].includes(c.shrink) && [0.5, 5].includes(c.easeLambda));
    // the true partners rank first under the chosen graphs: NDCG 1 on both cases
    assert.equal(c.ndcg.shrink[String(c.shrink)], 1);
    assert.ok(edgeWeight(c.graphs.knn, 0, 1) > edgeWeight(c.graphs.knn, 0, 4));
    assert.ok(edgeWeight(c.graphs.ease, 0, 1) > 0);
  });

  it('builds no EASE model when it is switched off', () => {
    const c = chooseGraphSettings(seqs, 6, scen, { ...DEFAULT_GRAPH_OPTIONS, easeItems: 0 }, cases, {
      shrinks: [10],
      easeLambdas: [5],
    });
    assert.deepEqual(c.ndcg.easeLambda, {});
    assert.equal(c.graphs.ease.items.length, 0);
  });
});
