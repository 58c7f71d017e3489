import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_GRAPH_OPTIONS, edgeWeight } from '../model/graph.ts';
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

  it('fused graphs take the settings and EASE each scenario alone chooses; easeFused is chosen apart', () => {
    // items 0-3 in scenario a, 4-7 in b: 0 -> 1 within a, 4 -> 5 within b, and 2 -> 6 across
    const scenarioOf = (i: number) => (i < 4 ? 'a' : 'b');
    const two = [
      [0, 1, 4, 5],
      [0, 1, 2, 6],
      [4, 5, 2, 6],
      [0, 1],
      [4, 5],
      [2, 6, 3],
      [3, 7],
      [3, 7, 0],
    ];
    const e = (item: number) => ({ item, scenario: scenarioOf(item), weight: 1, ts: 0 });
    const mixed: GraphCase[] = [
      { history: [e(0), e(4)], scenario: 'a', target: 1, masked: new Set([0]) },
      { history: [e(0), e(4)], scenario: 'b', target: 5, masked: new Set([4]) },
      { history: [e(3), e(2)], scenario: 'b', target: 6, masked: new Set() },
    ];
    const grid = { shrinks: [0, 10], easeLambdas: [0.5, 5] };
    const fused = chooseGraphSettings(two, 8, scenarioOf, DEFAULT_GRAPH_OPTIONS, mixed, grid);
    const own = mixed.map((c) => ({ ...c, history: c.history.filter((h) => h.scenario === c.scenario) }));
    const alone = chooseGraphSettings(
      two,
      8,
      scenarioOf,
      { ...DEFAULT_GRAPH_OPTIONS, crossScenario: false },
      own,
      grid,
    );
    assert.equal(fused.shrink, alone.shrink);
    assert.equal(fused.easeLambda, alone.easeLambda);
    assert.deepEqual(fused.graphs.ease, alone.graphs.ease);
    assert.equal(alone.graphs.easeFused, undefined);
    assert.deepEqual(Object.keys(fused.ndcg.easeFusedLambda ?? {}).sort(), ['0.5', '5']);
    assert.ok(fused.easeFusedLambda !== undefined && fused.graphs.easeFused);
    // the fused model carries the cross pair, the per-scenario one cannot
    assert.ok(edgeWeight(fused.graphs.easeFused, 2, 6) > 0);
    assert.equal(edgeWeight(fused.graphs.ease, 2, 6), 0);
    assert.ok(edgeWeight(fused.graphs.knn, 2, 6) > 0, 'co-occurrence keeps its cross-scenario edges');
  });
});
