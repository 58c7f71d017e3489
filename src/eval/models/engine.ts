/**
 * The engine as an EvalModel, and its ablations as switches. Scoring goes through the same
 * profile building, `prepareQuery` and `scoreCandidates` as `engine.recommend`, on every item of
 * the query's scenario instead of the retrieved candidates.
 */

import { seededSample as sample } from '../../core/rng.ts';
import { buildProfile, DEFAULT_PROFILE_OPTIONS } from '../../profile/interests.ts';
import type { HistoryEntry, UserProfile } from '../../profile/types.ts';
import { eventWeight } from '../../profile/weights.ts';
import { itemSpaceOf, type ScoringModel } from '../../rank/model.ts';
import { prepareQuery, scoreCandidates } from '../../rank/query.ts';
import { seqFeatureOf } from '../../seq/feature.ts';
import { ALL_ON, buildScoringModel, type ModelSwitches } from '../../train/build-model.ts';
import { DEFAULT_FIT_OPTIONS, fitRanker, type ValidCase } from '../../train/fit-ranker.ts';
import { carriesNoOrder, DEFAULT_GRAPH_OPTIONS } from '../../train/graph.ts';
import { chooseGraphSettings } from '../../train/tune-graph.ts';
import { pseudoValidCases } from '../pseudo-valid.ts';
import type { EvalData, EvalInteraction, EvalModel, EvalQuery, FitOptions } from '../types.ts';
import type { ModelEntry } from './index.ts';
import { seqValidOf, trainedSeqModel } from './seqrec.ts';

export interface EngineAblation extends ModelSwitches {
  /** fuse history and co-occurrence across scenarios (off = each scenario alone) */
  fusion: boolean;
  /** the sequential model (src/seq) as the ranker's `seq` feature */
  useSeq: boolean;
}

export const ENGINE_VARIANTS: Record<string, EngineAblation> = {
  engine: { ...ALL_ON, fusion: true, useSeq: true },
  'engine-nofusion': { ...ALL_ON, fusion: false, useSeq: true },
  'engine-nocontext': { ...ALL_ON, useContext: false, fusion: true, useSeq: true },
  'engine-notext': { ...ALL_ON, useText: false, fusion: true, useSeq: true },
  'engine-noids': { ...ALL_ON, useIds: false, fusion: true, useSeq: true },
  'engine-noseq': { ...ALL_ON, fusion: true, useSeq: false },
  // the fusion comparison without the sequential model (its training is the slow part on food-kitchen)
  'engine-nofusion-noseq': { ...ALL_ON, fusion: false, useSeq: false },
};

/** most valid queries the ranker fit looks at (a seeded sample), to bound fit time */
const MAX_FIT_CASES = 1500;
/**
 * pseudo-valid cases from the training users active in several scenarios (src/eval/pseudo-valid.ts),
 * fitted on beside the valid ones; their targets leave the training data of every model here
 */
export const PSEUDO_VALID_CASES = 3000;
/** graph settings tried on valid: co-occurrence shrinkage (item-KNN's grid) and EASE's lambda */
const GRAPH_GRID = { shrinks: [10, 20, 50], easeLambdas: [40, 100, 250] };

export function historyOf(interactions: readonly EvalInteraction[]): HistoryEntry[] {
  return interactions.map((e) => ({
    item: e.item,
    scenario: e.scenario,
    weight: eventWeight({ type: e.type, value: e.value }),
    ts: e.ts,
  }));
}

export class EngineEvalModel implements EvalModel {
  private model: ScoringModel | undefined;
  private info: Record<string, number | string | boolean> = {};

  constructor(
    readonly name: string,
    private readonly ablation: EngineAblation = ENGINE_VARIANTS.engine!,
    private readonly pseudoCases = PSEUDO_VALID_CASES,
  ) {}

  params(): Record<string, number | string | boolean> {
    return { ...this.ablation, ...this.info };
  }

  async fit(full: EvalData, opts: FitOptions): Promise<void> {
    const t0 = Date.now();
    // the same users and targets for the fused model and the model of each scenario alone; the
    // graphs, EASE and the sequential model below never see a pseudo-valid target, not even for
    // test (the weights were fitted on exactly these graphs; it is 3,000 of ~400k interactions)
    const pseudo = pseudoValidCases(full, this.pseudoCases, opts.seed);
    const data = pseudo.data;
    const sequences = data.users.map((u) => u.train.map((e) => e.item));
    const wholeHistory = carriesNoOrder(data.users.map((u) => u.train.map((e) => e.ts)));
    const validSample = [...sample(opts.valid, MAX_FIT_CASES, opts.seed), ...pseudo.cases];
    const graph = { ...DEFAULT_GRAPH_OPTIONS, crossScenario: this.ablation.fusion, wholeHistory };
    const chosen = this.ablation.useIds
      ? chooseGraphSettings(
          sequences,
          data.itemIds.length,
          (i) => data.itemScenario[i]!,
          graph,
          validSample.map(({ query, target }) => ({
            history: historyOf(this.visibleHistory(query)),
            scenario: query.scenario,
            target,
            masked: new Set(query.history.map((h) => h.item)),
          })),
          GRAPH_GRID,
          opts.signal,
        )
      : undefined;
    opts.onProgress?.(1, 1, `graph settings ${JSON.stringify(chosen?.ndcg ?? {})}`);
    this.model = buildScoringModel(
      {
        itemIds: data.itemIds,
        titles: data.itemText,
        itemScenario: data.itemScenario,
        vectors: data.itemVectors,
      },
      sequences,
      {
        graph,
        ...(chosen ? { graphs: chosen.graphs } : {}),
        switches: this.ablation,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    );
    // a sequential model learns what follows what: histories without a time order have nothing for it
    if (this.ablation.useSeq && !wholeHistory) {
      // trained once per run and shared with `seqrec` (memoised on the data)
      // the no-fusion ablation trains it on each scenario's own sequences
      const alone = !this.ablation.fusion;
      const seq = await trainedSeqModel(data, opts, undefined, alone);
      this.model.seq = seqFeatureOf(seq, seqValidOf(opts, alone));
      this.info = { seqValidNdcg10: Number(seq.report.validNdcg10.toFixed(4)), seqEpochs: seq.report.epochs };
    }
    const cases: ValidCase[] = validSample.map(({ query, target, targets }) => ({
      ...(targets ? { targets } : {}),
      profile: this.profileOf(query),
      scenario: query.scenario,
      target,
      masked: new Set(query.history.map((h) => h.item)),
    }));
    const fit = await fitRanker(this.model, cases, {
      ...DEFAULT_FIT_OPTIONS,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    this.info = {
      ...this.info,
      wholeHistory,
      ...(chosen
        ? {
            shrink: chosen.shrink,
            easeLambda: chosen.easeLambda,
            ...(chosen.easeFusedLambda !== undefined ? { easeFusedLambda: chosen.easeFusedLambda } : {}),
            graphNdcg10: JSON.stringify(chosen.ndcg),
          }
        : {}),
      decay: fit.ranker.decay,
      weights: fit.ranker.shared.map((w) => w.toFixed(2)).join(','),
      scenarioWeights: Object.keys(fit.ranker.perScenario).join(',') || 'none',
      poolNdcg10: Number(fit.validNdcg.toFixed(4)),
      ...(Object.keys(fit.crossCheck).length > 0 ? { crossCheck: JSON.stringify(fit.crossCheck) } : {}),
      poolNdcg10Default: Number(fit.defaultNdcg.toFixed(4)),
      fitCases: cases.length,
      pseudoValidCases: pseudo.cases.length,
      fitSeconds: Math.round((Date.now() - t0) / 1000),
    };
  }

  /** the history the model may see: all of it, or the target scenario's alone without fusion */
  private visibleHistory(query: EvalQuery): EvalInteraction[] {
    return this.ablation.fusion ? query.history : query.history.filter((h) => h.scenario === query.scenario);
  }

  profileOf(query: EvalQuery): UserProfile {
    const m = this.model!;
    return buildProfile(
      query.user,
      historyOf(this.visibleHistory(query)),
      itemSpaceOf(m),
      DEFAULT_PROFILE_OPTIONS,
    );
  }

  score(query: EvalQuery): Float32Array {
    const m = this.model;
    if (!m) throw new Error(`${this.name}: score() before fit()`);
    const out = new Float32Array(m.numItems).fill(-1e9);
    const q = prepareQuery(m, this.profileOf(query), { scenario: query.scenario });
    if (q.scenarioCode < 0) return out;
    const items = m.scenarioItems[q.scenarioCode]!;
    const s = scoreCandidates(q, items);
    for (let i = 0; i < items.length; i++) out[items[i]!] = s[i]!;
    return out;
  }
}

/** the engine and its ablations, as harness registry entries */
export const ENGINE_MODELS: Record<string, ModelEntry> = Object.fromEntries(
  Object.entries(ENGINE_VARIANTS).map(([name, ablation]) => [
    name,
    {
      description:
        name === 'engine'
          ? 'the engine: profiles, collaborative + text + popularity signals, ranker fitted on valid'
          : `engine ablation: ${name.replace('engine-no', 'without ').replace('-noseq', ', without seq')}`,
      create: () => new EngineEvalModel(name, ablation),
    },
  ]),
);
