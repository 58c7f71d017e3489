import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Csr } from './csr.ts';
import { applyGraphErasure, graphErasure } from './erase.ts';
import { buildItemGraphs, DEFAULT_GRAPH_OPTIONS, type GraphOptions } from './graph.ts';

const N = 12;
const scenarioOf = (i: number) => (i < 8 ? 'a' : 'b');

function edges(g: Csr): Map<string, number> {
  const m = new Map<string, number>();
  for (let a = 0; a + 1 < g.offsets.length; a++)
    for (let o = g.offsets[a]!; o < g.offsets[a + 1]!; o++) m.set(`${a},${g.items[o]}`, g.weights[o]!);
  return m;
}

const sequences = fc.array(fc.array(fc.integer({ min: 0, max: N - 1 }), { minLength: 1, maxLength: 9 }), {
  minLength: 2,
  maxLength: 14,
});

describe('erasing one sequence from item graphs', () => {
  for (const wholeHistory of [false, true]) {
    test(`counts, arrivals, co-occurrence and transitions keep exactly the edges a retrain makes (wholeHistory ${wholeHistory})`, () => {
      // no truncation (many neighbours), so the retrained edge set is the comparison
      const opts: GraphOptions = {
        ...DEFAULT_GRAPH_OPTIONS,
        window: 3,
        maxNeighbors: 100,
        easeItems: 0,
        wholeHistory,
        arrivals: true,
      };
      fc.assert(
        fc.property(sequences, fc.nat(), (seqs, pick) => {
          const u = pick % seqs.length;
          const rest = seqs.filter((_, i) => i !== u);
          const graphs = buildItemGraphs(seqs, N, scenarioOf, opts);
          const retrained = buildItemGraphs(rest, N, scenarioOf, opts);
          const e = graphErasure(graphs, seqs[u]!, () => rest, { ...opts, scenarioOf });
          applyGraphErasure(graphs, e);
          assert.deepEqual([...graphs.counts], [...retrained.counts]);
          // the arrivals from another scenario: the erased user's own share goes
          assert.ok(graphs.crossCounts && retrained.crossCounts);
          assert.deepEqual([...graphs.crossCounts], [...retrained.crossCounts]);
          for (const name of ['knn', 'trans'] as const) {
            const got = edges(graphs[name]);
            const want = edges(retrained[name]);
            assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), name);
            // the trained normaliser stays: a kept edge is never stronger than the retrained one
            for (const [k, w] of got) assert.ok(w > 0 && w <= want.get(k)! * (1 + 1e-5), `${name} ${k}`);
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  test('an EASE edge between two items only the erased user held together goes', () => {
    const seqs = [
      [0, 1, 2],
      [0, 1],
      [0, 1, 3],
      [2, 3],
      [1, 2],
      [0, 3, 4],
      [4, 5],
      [0, 5, 4],
    ];
    const mine = [4, 5, 2];
    const opts: GraphOptions = { ...DEFAULT_GRAPH_OPTIONS, easeItems: 50, easeLambda: 1 };
    const graphs = buildItemGraphs([...seqs, mine], N, () => 'a', opts);
    assert.ok(edges(graphs.ease).has('5,2'), 'the user made the 5-2 link');
    applyGraphErasure(
      graphs,
      graphErasure(graphs, mine, () => seqs, { ...opts, scenarioOf: () => 'a' }),
    );
    const after = edges(graphs.ease);
    assert.ok(!after.has('5,2') && !after.has('2,5'));
    assert.ok(after.has('4,5'), 'others hold 4 and 5 together');
  });
});

test('erasure: an item the erased user alone had loses its latent factors, the others keep theirs', () => {
  const opts: GraphOptions = { ...DEFAULT_GRAPH_OPTIONS, als: { factors: 3, reg: 1, alpha: 5, iters: 3 } };
  const seqs = [
    [0, 1, 2],
    [1, 2, 3],
    [0, 9, 2],
  ];
  const graphs = buildItemGraphs(seqs, N, scenarioOf, opts);
  const f = graphs.als!.dim;
  const before = graphs.als!.items.slice();
  assert.ok(before.subarray(9 * f, 10 * f).some((v) => v !== 0));
  const rest = seqs.slice(0, 2);
  applyGraphErasure(
    graphs,
    graphErasure(graphs, seqs[2]!, () => rest, { ...opts, scenarioOf }),
  );
  assert.ok(graphs.als!.items.subarray(9 * f, 10 * f).every((v) => v === 0));
  assert.deepEqual(graphs.als!.items.subarray(0, 9 * f), before.subarray(0, 9 * f));
});
