/**
 * The in-memory scoring model shared by `engine.recommend` and the evaluation adapter: the item
 * table (dense indices), item vectors, learned item graphs, popularity, context statistics and
 * the ranker's weights. Everything a request needs, nothing it has to fetch.
 */
import type { LabelVocabulary } from '../profile/label.ts';
import type { ItemSpace } from '../profile/types.ts';
import type { SeqFeature } from '../seq/feature.ts';
import type { ItemGraphs } from './graph.ts';

export const FEATURES = [
  'knnSame',
  'knnCross',
  'trans',
  'textInterest',
  'textRecent',
  'popularity',
  'context',
  'negative',
  'textLast',
  'knnStrength',
  'ease',
  'coldText',
  'seq',
  'textFused',
  'transCross',
  'textRecentFused',
  'knnCrossThin',
  'easeFused',
  'als',
  'alsFused',
  'seqFused',
  'attr',
  'attrLast',
  'usersCross',
  'attrCross',
  'popularityCross',
] as const;
export type FeatureName = (typeof FEATURES)[number];
export const NUM_FEATURES = FEATURES.length;

/**
 * Each feature's position in a feature row and in the ranker's weight arrays, by name: code reads
 * `f[FEATURE.knnSame]`, never `f[0]`. Derived from FEATURES, whose order trained models store.
 */
export const FEATURE: Readonly<Record<FeatureName, number>> = Object.freeze(
  Object.fromEntries(FEATURES.map((name, k) => [name, k])) as Record<FeatureName, number>,
);

/** ranker weights by feature name -> the array in FEATURES order (absent names weigh 0) */
export function weightsByName(named: Partial<Record<FeatureName, number>>): number[] {
  return FEATURES.map((name) => named[name] ?? 0);
}

/** the weight of one feature in a weight array (0 where the array is shorter) */
export function weightOf(weights: readonly number[], name: FeatureName): number {
  return weights[FEATURE[name]] ?? 0;
}

export interface RankerWeights {
  /** weights shared by all scenarios */
  shared: number[];
  /**
   * per-scenario weights (fitted starting from the shared ones); absent = shared. A key
   * `scenario|bucket` (see historyBucketKey) holds the weights of the queries with that many entries
   * of the target scenario in their history, where they were fitted; absent = the scenario's.
   */
  perScenario: Record<string, number[]>;
  /** recency decay of the history used by the collaborative features */
  decay: number;
}

export const DEFAULT_RANKER: RankerWeights = {
  shared: weightsByName({
    knnSame: 1,
    knnCross: 0.5,
    trans: 1,
    textInterest: 0.3,
    textRecent: 0.3,
    popularity: 0.1,
    context: 0.2,
    negative: -0.3,
    textLast: 0.2,
    ease: 0.5,
  }),
  perScenario: {},
  decay: 0.8,
};

/**
 * Target-scenario history lengths that get their own cross-scenario weights: a user with two food
 * entries needs the kitchen evidence more than one with thirty, and one with none (arriving in the
 * scenario from another) has nothing else (test users have shorter food histories than valid
 * users: median 5 vs 7 entries).
 */
export const HISTORY_BUCKETS: readonly { name: string; max: number }[] = [
  { name: '0', max: 0 },
  { name: '1-2', max: 2 },
  { name: '3-9', max: 9 },
  { name: '10+', max: Number.POSITIVE_INFINITY },
];

/** `scenario|bucket`: the perScenario key of the weights for that many target-scenario entries */
export function historyBucketKey(scenario: string, ownCount: number): string {
  return `${scenario}|${HISTORY_BUCKETS.find((b) => ownCount <= b.max)!.name}`;
}

/** Per context key (`device=mobile`, `hour=2`, ...) how often each item was consumed in it. */
export interface ContextStats {
  counts: Map<string, Map<number, number>>;
  totals: Map<string, number>;
  /** events per item among those that carried a context */
  items: Map<number, number>;
  all: number;
}

export interface ScoringModel {
  numItems: number;
  itemIds: string[];
  titles: string[];
  /** label terms of the items and their frequency per scenario (interest labels) */
  labels?: LabelVocabulary | undefined;
  /** scenario code per item (index into `scenarios`) */
  scenarioCode: Uint16Array;
  scenarios: string[];
  /** items of each scenario, by code */
  scenarioItems: Int32Array[];
  dim: number;
  /** numItems x dim, row-major, rows L2-normalised; zero rows for items without a vector */
  vectors: Float32Array;
  hasVector: Uint8Array;
  graphs: ItemGraphs;
  /** log-popularity scaled to [0, 1] within the item's scenario */
  popularity: Float32Array;
  /**
   * the same of the graphs' `crossCounts` (users arriving from another scenario): the
   * `popularityCross` feature; absent where the graphs count none
   */
  popularityCross?: Float32Array | undefined;
  context: ContextStats;
  ranker: RankerWeights;
  /** switches for ablations */
  useText: boolean;
  useContext: boolean;
  /** the trained sequential model behind the `seq` feature; absent = the feature is 0 */
  seq?: SeqFeature | undefined;
}

export function vectorOf(m: ScoringModel, item: number): Float32Array | undefined {
  if (!m.hasVector[item]) return undefined;
  return m.vectors.subarray(item * m.dim, (item + 1) * m.dim);
}

export function popularityFromCounts(
  counts: Float32Array,
  scenarioCode: Uint16Array,
  nScenarios: number,
): Float32Array {
  const max = new Float64Array(nScenarios);
  for (let i = 0; i < counts.length; i++) {
    const c = scenarioCode[i]!;
    max[c] = Math.max(max[c]!, Math.log1p(counts[i]!));
  }
  return Float32Array.from(counts, (v, i) => {
    const m = max[scenarioCode[i]!]!;
    return m > 0 ? Math.log1p(v) / m : 0;
  });
}

export function emptyContextStats(): ContextStats {
  return { counts: new Map(), totals: new Map(), items: new Map(), all: 0 };
}

/** the view of the model that profile building needs */
export function itemSpaceOf(m: ScoringModel): ItemSpace {
  return {
    dim: m.dim,
    vector: (i) => vectorOf(m, i),
    title: (i) => m.titles[i] ?? '',
    labels: m.labels,
  };
}
