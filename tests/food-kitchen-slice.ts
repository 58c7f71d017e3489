/**
 * A real food-kitchen slice for the fused-query tests (src/rank/query.test.ts,
 * src/rank/explain.test.ts): the first 1,500 users active in both scenarios, a model with each
 * scenario's graphs alone and one with graphs fused across scenarios, and the users whose history
 * interleaves both scenarios.
 */
import { readFileSync } from 'node:fs';
import { seededRandom } from '../src/core/rng.ts';
import { buildScoringModel } from '../src/model/build.ts';
import { buildItemGraphs, DEFAULT_GRAPH_OPTIONS } from '../src/model/graph.ts';
import { itemSpaceOf, type ScoringModel } from '../src/model/scoring.ts';
import type { HistoryEntry } from '../src/profile/types.ts';

const DATA = new URL('../../shared/data/food-kitchen/', import.meta.url);

/** the first 1,500 users active in both scenarios, items renumbered densely */
function slice() {
  const scenarioOf = new Map<string, string>();
  for (const line of readFileSync(new URL('items.tsv', DATA), 'utf8').split('\n').slice(1)) {
    const [id, domain] = line.split('\t');
    if (id && domain) scenarioOf.set(id, domain);
  }
  const dense = new Map<string, number>();
  const itemScenario: string[] = [];
  const sequences = readFileSync(new URL('train_overlap.txt', DATA), 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .slice(0, 1500)
    .map((l) =>
      l
        .split('\t')[1]!
        .split(',')
        .map((raw) => {
          let i = dense.get(raw);
          if (i === undefined) {
            i = dense.size;
            dense.set(raw, i);
            itemScenario.push(scenarioOf.get(raw)!);
          }
          return i;
        }),
    );
  return { sequences, itemScenario };
}

/** seeded unit vectors: the test needs text features that differ per item, not meaningful ones */
function vectors(n: number, dim: number) {
  const rnd = seededRandom(7);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = rnd() - 0.5;
      data[i * dim + d] = v;
      s += v * v;
    }
    for (let d = 0; d < dim; d++) data[i * dim + d]! /= Math.sqrt(s);
  }
  return { dim, data };
}

/** the slice, its two models (scenarios alone, graphs fused), and its interleaved users */
export function foodKitchenSlice() {
  const { sequences, itemScenario } = slice();
  const n = itemScenario.length;
  const model: ScoringModel = buildScoringModel(
    { itemIds: itemScenario.map((_, i) => String(i)), titles: [], itemScenario, vectors: vectors(n, 16) },
    sequences,
    // each scenario alone (block-diagonal EASE too), so every same-scenario feature must match exactly
    { graph: { ...DEFAULT_GRAPH_OPTIONS, crossScenario: false, easeItems: 300 } },
  );
  const fusedModel: ScoringModel = {
    ...model,
    graphs: buildItemGraphs(sequences, n, (i) => itemScenario[i]!, {
      ...DEFAULT_GRAPH_OPTIONS,
      easeItems: 300,
    }),
  };
  const space = itemSpaceOf(model);
  const entries = (seq: number[]): HistoryEntry[] =>
    seq.map((item, ts) => ({ item, scenario: itemScenario[item]!, weight: 1, ts }));
  // users whose history interleaves both scenarios, the last item held out as the target
  const mixed = sequences
    .filter((s) => new Set(s.slice(0, -1).map((i) => itemScenario[i])).size === 2 && s.length >= 6)
    .slice(0, 40);
  return { sequences, itemScenario, n, model, fusedModel, space, entries, mixed };
}
