/**
 * The evaluation loop: fit each model on train (tuning on valid through `objective`), rank every
 * test query under the protocol, and average the metrics per target scenario, slice and ranking
 * mode. Models only produce scores; masking, candidate sets and tie-breaking happen here, the same
 * for every model.
 */

import type { Config } from '../config/schema.ts';
import type { Scenario } from '../core/types.ts';
import { HISTORY_BUCKETS } from '../model/scoring.ts';
import { mmr } from '../rank/mmr.ts';
import type { Store } from '../store/types.ts';
import type { EvalCase, EvalSet } from './dataset.ts';
import {
  COLD_USER_MAX_HISTORY,
  POPULAR_TARGET_MIN_COUNT,
  RARE_TARGET_MAX_COUNT,
  seededSample,
  targetHistorySlice,
} from './dataset.ts';
import { coverage, hitRate, intraListDiversity, mrr, ndcg, novelty, recall, rowCosine } from './metrics.ts';
import { yieldToEventLoop } from './models/common.ts';
import { rng, sampleDistinct, tieBreaker, topK } from './rank.ts';
import type { CaseInfo, GroupResult, ModelResult } from './schema.ts';
import type { EvalData, EvalModel, EvalQuery, ModelEntry } from './types.ts';

const LIST_LENGTH = 100;
const MMR_LAMBDAS = [0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
const NO_TARGET_HISTORY = 'no-target-history';

export const SLICE_DEFINITIONS: Record<string, string> = {
  all: 'every test case',
  'cold-users': `query history of at most ${COLD_USER_MAX_HISTORY} distinct items`,
  'cold-items': 'a target with no training interaction',
  'rare-targets': `every target has at most ${RARE_TARGET_MAX_COUNT} training interactions (the long tail; cold items included)`,
  'popular-targets': `every target has at least ${POPULAR_TARGET_MIN_COUNT} training interactions`,
  'cross-scenario': 'query history spans two or more scenarios',
  ...Object.fromEntries(
    HISTORY_BUCKETS.flatMap((b, k, all) => {
      // the empty bucket is the no-target-history variants' case
      if (k === 0) return [];
      const min = all[k - 1]!.max + 1;
      const range = Number.isFinite(b.max) ? `${min} to ${b.max}` : `${min} or more`;
      return [
        [
          targetHistorySlice(b.name),
          `a cross-scenario query history holding ${range} distinct items of the target's scenario (where the target's own evidence is thin, the other scenarios' should add most)`,
        ],
      ];
    }),
  ),
  [NO_TARGET_HISTORY]:
    "the test cases again with the target scenario's items removed from the history (the user arrives knowing only other scenarios); not part of `all`",
};

export interface HarnessOptions {
  seed: number;
  /** valid cases used by the tuning objective (a seeded sample keeps grid searches affordable) */
  tuneCases?: number;
  /** test cases the accuracy-diversity curve is drawn on */
  curveCases?: number;
  /** most epochs of the sequential model (FitOptions.seqEpochs) */
  seqEpochs?: number;
  /** the store the data came from, when its split is the evaluation's (FitOptions.store) */
  store?: Store;
  /** the scenarios of the store a split drawn in memory came from (FitOptions.scenarios) */
  scenarios?: readonly Scenario[];
  /** the run's configuration (FitOptions.config) */
  config?: Config;
  /** record the top this-many item ids of every case's full ranking (ModelResult.ranked); 0 = none */
  rankedIds?: number;
  /**
   * Rank every test case a second time without its target scenario's history (the
   * `no-target-history` slice) on data of several scenarios; default true
   */
  noTargetHistory?: boolean;
  onProgress?: (label: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

/** What stays fixed across models in one run: candidate sets, negatives, tie-breaker, test cases. */
export class Harness {
  readonly tie: Uint32Array;
  readonly scenarioItems = new Map<string, Int32Array>();
  readonly cases: EvalCase[];
  readonly tuneCases: EvalCase[];
  private readonly negatives: number[][];
  private readonly userCounts: Float32Array;
  private readonly curveIdx: Set<number>;
  /** test-case index of every case, the no-target-history variants included */
  private readonly caseTest = new Map<EvalCase, number>();

  constructor(
    readonly set: EvalSet,
    private readonly opts: HarnessOptions,
  ) {
    const { data, protocol } = set;
    this.tie = tieBreaker(data.itemIds.length, opts.seed);
    for (const s of data.scenarios) {
      const ids: number[] = [];
      data.itemScenario.forEach((sc, i) => {
        if (sc === s) ids.push(i);
      });
      this.scenarioItems.set(s, Int32Array.from(ids));
    }
    this.cases = [...set.test];
    set.test.forEach((c, i) => {
      this.caseTest.set(c, i);
    });
    if (data.scenarios.length > 1 && opts.noTargetHistory !== false) {
      set.test.forEach((c, i) => {
        const history = c.query.history.filter((e) => e.scenario !== c.query.scenario);
        const variant = { query: { ...c.query, history }, targets: c.targets, slices: [NO_TARGET_HISTORY] };
        this.cases.push(variant);
        this.caseTest.set(variant, i);
      });
    }
    const random = rng(opts.seed + 7);
    this.negatives = protocol.sampledNegatives
      ? set.test.map((c) =>
          sampleDistinct(
            this.scenarioItems.get(c.query.scenario)!,
            protocol.sampledNegatives,
            new Set(c.targets),
            random,
          ),
        )
      : [];
    this.tuneCases = seededSample(set.valid, opts.tuneCases ?? 2000, opts.seed + 3);
    this.userCounts = distinctUserCounts(data);
    const curveN = Math.min(opts.curveCases ?? 500, set.test.length);
    this.curveIdx = new Set(
      seededSample(
        set.test.map((_, i) => i),
        curveN,
        opts.seed + 5,
      ),
    );
  }

  /** NDCG@10 of a scoring function on the tuning cases: the objective handed to every model's fit. */
  objective = (score: (q: EvalQuery) => Float32Array): number => {
    if (this.tuneCases.length === 0) return 0;
    let sum = 0;
    for (const c of this.tuneCases) {
      const ranked = this.rankFull(score(c.query), c.query);
      sum += ndcg(new Set(c.targets), ranked, 10);
    }
    return sum / this.tuneCases.length;
  };

  /** `tie`: how equal scores rank (a model's own rule, `EvalModel.tieOrder`); default the seeded one */
  rankFull(scores: Float32Array, query: EvalQuery, k = LIST_LENGTH, tie = this.tie): number[] {
    const candidates = this.scenarioItems.get(query.scenario);
    if (!candidates) throw new Error(`query scenario ${query.scenario} is not one of the dataset's`);
    const mask = this.set.protocol.maskHistory ? new Set(query.history.map((e) => e.item)) : undefined;
    return topK(scores, candidates, k, tie, mask);
  }

  /** every ranked case in order, as the results file lists them (what `perCase` values refer to) */
  caseInfo(): CaseInfo[] {
    return this.cases.map((c) => ({
      user: c.query.user,
      scenario: c.query.scenario,
      slices: c.slices.includes(NO_TARGET_HISTORY) ? c.slices : ['all', ...c.slices],
    }));
  }

  async evaluate(name: string, entry: ModelEntry): Promise<ModelResult> {
    const { data } = this.set;
    const base = { name, description: entry.description, params: {}, diversityCurve: [], groups: [] };
    const missing = (entry.needs ?? []).filter((n) =>
      n === 'scenarios' ? data.scenarios.length < 2 : data[n] === undefined,
    );
    if (missing.length > 0) {
      return {
        ...base,
        status: 'skipped',
        reason: `${data.dataset} provides no ${missing.map((n) => (n === 'scenarios' ? 'second scenario' : n)).join(', ')}`,
        timings: { fitMs: 0, evalMs: 0, queriesPerSecond: 0 },
      };
    }
    const model = entry.create();
    try {
      const t0 = performance.now();
      await model.fit(data, {
        valid: this.tuneCases.map((c) => ({ query: c.query, target: c.targets[0]!, targets: c.targets })),
        seed: this.opts.seed,
        ...(this.opts.seqEpochs !== undefined ? { seqEpochs: this.opts.seqEpochs } : {}),
        ...(this.opts.store ? { store: this.opts.store } : {}),
        ...(this.opts.scenarios ? { scenarios: this.opts.scenarios } : {}),
        ...(this.opts.config ? { config: this.opts.config } : {}),
        objective: this.objective,
        signal: this.opts.signal,
        onProgress: (done, total, label) => this.opts.onProgress?.(`${name}: ${label}`, done, total),
      });
      const t1 = performance.now();
      const { groups, curve, perCase, ranked } = await this.score(name, model);
      const t2 = performance.now();
      return {
        ...base,
        status: 'ok',
        params: model.params(),
        timings: {
          fitMs: Math.round(t1 - t0),
          evalMs: Math.round(t2 - t1),
          queriesPerSecond: Math.round((this.cases.length / Math.max(1, t2 - t1)) * 1000),
        },
        groups,
        diversityCurve: curve,
        perCase,
        ...(ranked ? { ranked } : {}),
      };
    } finally {
      await model.close?.();
    }
  }

  private async score(
    name: string,
    model: EvalModel,
  ): Promise<{
    groups: GroupResult[];
    curve: ModelResult['diversityCurve'];
    perCase: Record<string, number[]>;
    ranked?: string[][];
  }> {
    const { data, protocol } = this.set;
    const tie = model.tieOrder?.() ?? this.tie;
    const keep = this.opts.rankedIds ?? 0;
    const rankedIds: string[][] = [];
    const ks = protocol.ks;
    const vectors = data.itemVectors;
    const acc = new Map<string, Acc>();
    const curveSums = MMR_LAMBDAS.map(() => ({ ndcg: 0, hr: 0, ild: 0 }));
    let curveN = 0;
    // per-case NDCG@10 (full ranking), for paired comparisons between models (src/eval/compare.ts)
    const caseNdcg10: number[] = [];
    for (const [n, c] of this.cases.entries()) {
      if (n % 256 === 0) {
        await yieldToEventLoop();
        this.opts.signal?.throwIfAborted();
        this.opts.onProgress?.(`${name}: ranking`, n, this.cases.length);
      }
      const relevant = new Set(c.targets);
      const scores = model.score(c.query);
      const ranked = this.rankFull(scores, c.query, LIST_LENGTH, tie);
      if (keep > 0) rankedIds.push(ranked.slice(0, keep).map((i) => data.itemIds[i]!));
      const full: Record<string, number> = {};
      for (const k of ks) {
        full[`hr@${k}`] = hitRate(relevant, ranked, k);
        full[`recall@${k}`] = recall(relevant, ranked, k);
        full[`ndcg@${k}`] = ndcg(relevant, ranked, k);
      }
      full.mrr = mrr(relevant, ranked);
      caseNdcg10.push(Number(ndcg(relevant, ranked, 10).toFixed(6)));
      full['novelty@10'] = novelty(ranked, 10, this.userCounts, data.users.length);
      if (vectors) full['ild@10'] = intraListDiversity(ranked, 10, vectors.data, vectors.dim);
      const scenarios = data.scenarios.length > 1 ? ['all', c.query.scenario] : ['all'];
      const ti = this.caseTest.get(c);
      const variant = c.slices.includes(NO_TARGET_HISTORY);
      const slices = variant ? c.slices : ['all', ...c.slices];
      for (const sc of scenarios) for (const sl of slices) add(acc, sc, sl, 'full', full, ranked);
      if (protocol.sampledNegatives && ti !== undefined) {
        // the target among the same negatives for every model; the no-target-history variant shares them
        const cand = [...c.targets, ...this.negatives[ti]!];
        const list = topK(scores, cand, 10, tie);
        const sampled: Record<string, number> = {};
        for (const k of ks.filter((k) => k <= 10)) {
          sampled[`hr@${k}`] = hitRate(relevant, list, k);
          sampled[`ndcg@${k}`] = ndcg(relevant, list, k);
        }
        sampled.mrr = mrr(relevant, list);
        for (const sc of scenarios) for (const sl of slices) add(acc, sc, sl, 'sampled', sampled);
      }
      if (vectors && !variant && ti !== undefined && this.curveIdx.has(ti)) {
        curveN++;
        const sim = (a: number, b: number) => rowCosine(vectors.data, vectors.dim, a, b);
        const rel = Float32Array.from(ranked, (i) => scores[i]!);
        MMR_LAMBDAS.forEach((lambda, li) => {
          // serving's MMR (src/rank/mmr.ts); at lambda 0 the ranking itself, ties as ranked
          const list = lambda === 0 ? ranked.slice(0, 10) : mmr(ranked, rel, 10, lambda, sim, -1);
          curveSums[li]!.ndcg += ndcg(relevant, list, 10);
          curveSums[li]!.hr += hitRate(relevant, list, 10);
          curveSums[li]!.ild += intraListDiversity(list, 10, vectors.data, vectors.dim);
        });
      }
    }
    this.opts.onProgress?.(`${name}: ranking`, this.cases.length, this.cases.length);
    const groups = [...acc.values()].map((a) => {
      const metrics: Record<string, number> = {};
      for (const [m, s] of Object.entries(a.sums)) metrics[m] = s / a.cases;
      if (a.seen) {
        const pool = a.scenario === 'all' ? data.itemIds.length : this.scenarioItems.get(a.scenario)!.length;
        metrics['coverage@10'] = coverage([[...a.seen]], Number.MAX_SAFE_INTEGER, pool);
      }
      return { scenario: a.scenario, slice: a.slice, ranking: a.ranking, cases: a.cases, metrics };
    });
    const curve = curveN
      ? MMR_LAMBDAS.map((lambda, li) => ({
          lambda,
          'ndcg@10': curveSums[li]!.ndcg / curveN,
          'hr@10': curveSums[li]!.hr / curveN,
          'ild@10': curveSums[li]!.ild / curveN,
        }))
      : [];
    return {
      groups,
      curve,
      perCase: { 'ndcg@10': caseNdcg10 },
      ...(keep > 0 ? { ranked: rankedIds } : {}),
    };
  }
}

interface Acc {
  scenario: string;
  slice: string;
  ranking: 'full' | 'sampled';
  cases: number;
  sums: Record<string, number>;
  seen?: Set<number>;
}

function add(
  acc: Map<string, Acc>,
  scenario: string,
  slice: string,
  ranking: 'full' | 'sampled',
  values: Record<string, number>,
  ranked?: readonly number[],
): void {
  const key = `${scenario}\u0000${slice}\u0000${ranking}`;
  let a = acc.get(key);
  if (!a) {
    a = { scenario, slice, ranking, cases: 0, sums: {}, ...(ranked ? { seen: new Set<number>() } : {}) };
    acc.set(key, a);
  }
  a.cases++;
  for (const [m, v] of Object.entries(values)) a.sums[m] = (a.sums[m] ?? 0) + v;
  if (ranked && a.seen) for (let i = 0; i < Math.min(10, ranked.length); i++) a.seen.add(ranked[i]!);
}

/** Distinct training users per item: the popularity behind novelty. */
function distinctUserCounts(data: EvalData): Float32Array {
  const counts = new Float32Array(data.itemIds.length);
  for (const u of data.users) for (const i of new Set(u.train.map((e) => e.item))) counts[i]! += 1;
  return counts;
}
