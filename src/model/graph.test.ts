import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainAls } from './als.ts';
import { arrivals } from './arrivals.ts';
import {
  buildItemGraphs,
  carriesNoOrder,
  countPairs,
  DEFAULT_GRAPH_OPTIONS,
  edgeWeight,
  graphsOf,
  latentOf,
  spread,
  spreadMarked,
} from './graph.ts';

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

  it("spreadMarked gives spread's sums and lists each touched item once across accumulators", () => {
    const g = buildItemGraphs(seqs, 5, scen);
    const a1 = new Float32Array(5);
    const b1 = new Float32Array(5);
    const t1: number[] = [];
    const u1: number[] = [];
    spread(g.knn, 0, 0.5, a1, t1);
    spread(g.knn, 2, 1, a1, t1);
    spread(g.trans, 0, 1, b1, u1);
    const a2 = new Float32Array(5);
    const b2 = new Float32Array(5);
    const mark = new Uint8Array(5);
    const buffer = new Int32Array(5);
    let count = spreadMarked(g.knn, 0, 0.5, a2, mark, buffer, 0);
    count = spreadMarked(g.knn, 2, 1, a2, mark, buffer, count);
    count = spreadMarked(g.trans, 0, 1, b2, mark, buffer, count);
    const touched = [...buffer.subarray(0, count)];
    assert.deepEqual(a2, a1);
    assert.deepEqual(b2, b1);
    assert.equal(new Set(touched).size, touched.length);
    assert.deepEqual([...touched].sort(), [...new Set([...t1, ...u1])].sort());
    assert.deepEqual(
      [...mark],
      [0, 1, 2, 3, 4].map((i) => (touched.includes(i) ? 1 : 0)),
    );
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

  it('graphs of counted pairs: every shrinkage, with or without cross pairs, equal a fresh build', () => {
    let x = 3;
    const rnd = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    const n = 40;
    const scenarioOf = (i: number) => (i % 3 === 0 ? 'b' : 'a');
    const seqs = Array.from({ length: 200 }, () =>
      Array.from({ length: 2 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * rnd() * n)),
    );
    const base = { ...DEFAULT_GRAPH_OPTIONS, maxNeighbors: 5, easeItems: 20 };
    const pc = countPairs(seqs, n, scenarioOf, base);
    for (const shrink of [0, 10, 50])
      for (const crossScenario of [true, false]) {
        const opts = { ...base, shrink, crossScenario };
        assert.deepEqual(graphsOf(pc, seqs, scenarioOf, opts), buildItemGraphs(seqs, n, scenarioOf, opts));
      }
    const alone = countPairs(seqs, n, scenarioOf, { ...base, crossScenario: false });
    assert.throws(() => graphsOf(alone, seqs, scenarioOf, base), /cross-scenario/);
  });
});

describe('the latent factorisation beside the graphs', () => {
  const seqs = [
    [0, 1, 5, 6],
    [0, 2, 5],
    [1, 2, 6, 7],
    [3, 4],
    [0, 1, 2, 7],
  ];
  const scenarioOf = (i: number) => (i < 5 ? 'a' : 'b');
  const als = { factors: 3, reg: 1, alpha: 5, iters: 4 };

  it("learns each scenario's model from its own entries, and the fused one from whole histories", () => {
    const split = seqs.flatMap((s) =>
      [s.filter((i) => i < 5), s.filter((i) => i >= 5)].filter((r) => r.length > 0),
    );
    const fused = latentOf(seqs, 8, scenarioOf, { als, crossScenario: true });
    assert.deepEqual(fused.als!.items, trainAls(split, 8, { ...als, seed: 1 }).items);
    assert.deepEqual(fused.alsFused!.items, trainAls(seqs, 8, { ...als, seed: 1 }).items);
    const alone = latentOf(seqs, 8, scenarioOf, { als, crossScenario: false });
    assert.deepEqual(alone.als!.items, fused.als!.items);
    assert.equal(alone.alsFused, undefined);
    // one scenario: no fused model beside the scenario's own
    assert.equal(latentOf(seqs, 8, () => 's', { als, crossScenario: true }).alsFused, undefined);
    assert.deepEqual(latentOf(seqs, 8, scenarioOf, { als: { ...als, factors: 0 }, crossScenario: true }), {});
  });

  it('is part of the graphs the options ask for, and absent when switched off', () => {
    const on = buildItemGraphs(seqs, 8, scenarioOf, { ...DEFAULT_GRAPH_OPTIONS, als });
    assert.equal(on.als?.dim, 3);
    const off = buildItemGraphs(seqs, 8, scenarioOf, {
      ...DEFAULT_GRAPH_OPTIONS,
      als: { ...als, factors: 0 },
    });
    assert.equal(off.als, undefined);
  });
});

describe('arrivals: what users coming from another scenario take up', () => {
  // items 0-2 in shop, 3-5 in music
  const scen = (i: number) => (i < 3 ? 'shop' : 'music');
  const seqs = [
    [0, 1, 3, 4], // shop then music: 3 and 4 arrive
    [3, 0, 3], // music, shop (arrives), music again (after shop: arrives)
    [1, 2], // shop only: nothing
    [4, 5, 1, 2, 5], // music, then shop: 1, 2 and the later 5
  ];

  it('counts each occurrence after one of another scenario, in order', () => {
    assert.deepEqual(Array.from(arrivals(seqs, scen, 6)), [1, 1, 1, 2, 1, 1]);
  });

  it('without time order, every occurrence in a history of several scenarios', () => {
    assert.deepEqual(Array.from(arrivals(seqs, scen, 6, true)), [2, 2, 1, 3, 2, 2]);
  });

  it('the graphs keep them only when asked, over several scenarios with cross-scenario pairs', () => {
    const on = { ...DEFAULT_GRAPH_OPTIONS, easeItems: 0, arrivals: true };
    assert.deepEqual(Array.from(buildItemGraphs(seqs, 6, scen, on).crossCounts ?? []), [1, 1, 1, 2, 1, 1]);
    assert.equal(buildItemGraphs(seqs, 6, scen, { ...on, arrivals: false }).crossCounts, undefined);
    assert.equal(buildItemGraphs(seqs, 6, scen, { ...on, crossScenario: false }).crossCounts, undefined);
    assert.equal(buildItemGraphs(seqs, 6, () => 'shop', on).crossCounts, undefined);
  });
});
