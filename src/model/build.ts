/**
 * Assembles a ScoringModel from a catalog, item vectors and training sequences. Used by the
 * engine (catalog from the store), by `fusionrec train` and by the evaluation adapter.
 */
import type { LabelVocabulary } from '../profile/label.ts';
import { recordContext } from './context.ts';
import { buildItemGraphs, DEFAULT_GRAPH_OPTIONS, type GraphOptions, type ItemGraphs } from './graph.ts';
import { DEFAULT_RANKER, emptyContextStats, popularityFromCounts, type ScoringModel } from './scoring.ts';
import { withUserKeys } from './users.ts';

export interface CatalogInput {
  itemIds: string[];
  titles: string[];
  itemScenario: string[];
  /** item vectors, row i = item i, L2-normalised; absent when the catalog has no text */
  vectors?: { dim: number; data: Float32Array } | undefined;
  /** the items' label terms (profile/label.ts), for readable interest labels */
  labels?: LabelVocabulary | undefined;
}

export interface ModelSwitches {
  useText: boolean;
  useContext: boolean;
  /** the collaborative graphs from item ids; off = the no-learned-ids ablation */
  useIds: boolean;
}

const ALL_ON: ModelSwitches = { useText: true, useContext: true, useIds: true };

/** a training interaction with its context keys, for the context statistics */
export interface ContextObservation {
  item: number;
  keys: string[];
}

export function emptyGraphs(n: number): ItemGraphs {
  const empty = { offsets: new Int32Array(n + 1), items: new Int32Array(0), weights: new Float32Array(0) };
  return { knn: empty, trans: { ...empty }, ease: { ...empty }, counts: new Float32Array(n) };
}

export function buildScoringModel(
  cat: CatalogInput,
  sequences: readonly (readonly number[])[],
  opts: {
    graph?: GraphOptions;
    switches?: ModelSwitches;
    context?: Iterable<ContextObservation>;
    /** graphs of a trained model, instead of building them from the sequences */
    graphs?: ItemGraphs;
    /** each sequence's user key: the users kept for cross-scenario matching carry them (users.ts) */
    users?: readonly string[];
    signal?: AbortSignal;
  } = {},
): ScoringModel {
  const switches = opts.switches ?? ALL_ON;
  const n = cat.itemIds.length;
  const scenarios = [...new Set(cat.itemScenario)].sort();
  const code = new Map(scenarios.map((s, i) => [s, i]));
  const scenarioCode = Uint16Array.from(cat.itemScenario, (s) => code.get(s)!);
  const lists: number[][] = scenarios.map(() => []);
  scenarioCode.forEach((c, i) => {
    lists[c]!.push(i);
  });
  const dim = switches.useText && cat.vectors ? cat.vectors.dim : 0;
  const vectors = dim > 0 ? cat.vectors!.data : new Float32Array(0);
  const hasVector = new Uint8Array(n);
  if (dim > 0) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = i * dim; d < (i + 1) * dim; d++) s += vectors[d]! * vectors[d]!;
      hasVector[i] = s > 0.5 ? 1 : 0;
    }
  }
  const graphs = opts.graphs
    ? opts.graphs
    : switches.useIds
      ? buildItemGraphs(
          sequences,
          n,
          (i) => cat.itemScenario[i]!,
          opts.graph ?? DEFAULT_GRAPH_OPTIONS,
          opts.signal,
        )
      : emptyGraphs(n);
  if (!opts.graphs && graphs.users && opts.users)
    graphs.users = withUserKeys(graphs.users, sequences, (i) => cat.itemScenario[i]!, opts.users);
  if (!switches.useIds) for (const s of sequences) for (const i of s) graphs.counts[i]! += 1;
  const context = emptyContextStats();
  if (switches.useContext && opts.context)
    for (const o of opts.context) recordContext(context, o.keys, o.item);
  return {
    numItems: n,
    itemIds: cat.itemIds,
    titles: cat.titles,
    ...(cat.labels ? { labels: cat.labels } : {}),
    scenarioCode,
    scenarios,
    scenarioItems: lists.map((l) => Int32Array.from(l)),
    dim,
    vectors,
    hasVector,
    graphs,
    popularity: popularityFromCounts(graphs.counts, scenarioCode, scenarios.length),
    ...(graphs.crossCounts
      ? { popularityCross: popularityFromCounts(graphs.crossCounts, scenarioCode, scenarios.length) }
      : {}),
    context,
    ranker: structuredClone(DEFAULT_RANKER),
    useText: dim > 0,
    useContext: switches.useContext,
  };
}
