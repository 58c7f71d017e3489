/**
 * How an experiment's variant changes the engine's answer: its diversity, its own retriever
 * chain, fusion at request time, or another stored model version. A version a running experiment
 * names is loaded once per engine generation (its item graphs, ranker weights and sequential
 * model) and served over this generation's catalog, vectors, live counts and profiles; it is
 * released when no running experiment names it any more, on an erasure (reloaded from the store,
 * which the erasure rewrote) and when the generation closes.
 */
import { RecError } from '../core/errors.ts';
import { seqBaseStamp } from '../model/file.ts';
import type { ItemGraphs } from '../model/graph.ts';
import type { ScoringModel } from '../model/scoring.ts';
import { loadVersion, requireVersion, seqPrefixOf } from '../model/versions.ts';
import type { Retriever } from '../retrieve/types.ts';
import { seqFeatureOf } from '../seq/feature.ts';
import { loadSeqModel, seqStampOf } from '../seq/persist.ts';
import type { Experiment, Variant } from './experiments.ts';
import type { Feedback } from './feedback.ts';
import { growCsr } from './grow.ts';
import type { EngineParts } from './parts.ts';
import { Ranking, type RankingDeps } from './recommend.ts';
import type { ValidRecommendRequest } from './requests.ts';
import type { ExperimentAdmin } from './types.ts';

export interface VariantDeps {
  /** the engine's own ranking: a variant that changes neither chain nor model answers with it */
  ranking: Ranking;
  /** what the engine's ranking was built from */
  rankingDeps: RankingDeps;
  /** every retriever by name */
  retrievers: Readonly<Record<string, Retriever>>;
  /** the store the versions are read from, the config and encoder they are served with */
  parts: Pick<EngineParts, 'store' | 'config' | 'encoder'>;
}

export class Variants {
  private readonly rankings = new Map<string, Ranking>();
  /** the model of each version a running experiment names, loaded once */
  private readonly versions = new Map<string, Promise<ScoringModel>>();

  constructor(private readonly d: VariantDeps) {}

  /**
   * The ranking a variant answers with: the engine's own, or one with the variant's chain or model
   * version (its candidates are not memoised: the memo is keyed by profile, not by model).
   */
  async rankingOf(v: Variant): Promise<Ranking> {
    if (!v.retrievers && v.modelVersion === undefined) return this.d.ranking;
    const key = `${v.modelVersion ?? ''}\u0000${(v.retrievers ?? []).join(',')}`;
    const model = v.modelVersion === undefined ? undefined : await this.model(v.modelVersion, 'modelVersion');
    let r = this.rankings.get(key);
    if (!r || (model && r.model !== model)) {
      const base = this.d.rankingDeps;
      r = new Ranking({
        ...base,
        config: { ...base.config, rankCacheSeconds: 0 },
        ...(v.retrievers ? { chain: v.retrievers.map((name) => this.d.retrievers[name]!) } : {}),
        ...(model ? { model, modelVersion: v.modelVersion! } : {}),
      });
      this.rankings.set(key, r);
    }
    return r;
  }

  /** the version's model over this generation's catalog; refused when it was trained on another */
  private model(version: string, field: string): Promise<ScoringModel> {
    let got = this.versions.get(version);
    if (!got) {
      got = this.load(version, field);
      this.versions.set(version, got);
      // a failed load is not kept: the next request tries again
      got.catch(() => this.versions.delete(version));
    }
    return got;
  }

  private async load(version: string, field: string): Promise<ScoringModel> {
    const { store, config, encoder } = this.d.parts;
    const base = this.d.rankingDeps.model;
    const loaded = await loadVersion(store, version);
    if (!loaded) {
      await requireVersion(store, version, field, 'INVALID_INPUT');
      throw new RecError('INVALID_INPUT', `model version "${version}" cannot be read`, { field });
    }
    const ids = loaded.header.itemIds;
    if (ids.length > base.numItems || ids.some((id, i) => base.itemIds[i] !== id))
      throw new RecError(
        'INVALID_INPUT',
        `model version "${version}" was trained on another catalog than the one served: it cannot answer here`,
        { field },
      );
    let seq: ScoringModel['seq'];
    if (config.seq.enabled) {
      const stamp = seqStampOf(
        seqBaseStamp(loaded.header.stamp, config.train),
        config.seq,
        config.train,
        encoder?.id,
      );
      const s = await loadSeqModel(store, stamp, seqPrefixOf(version));
      if (s && s.model.shape.numItems === ids.length)
        seq = seqFeatureOf(s.models, [], config.train.seqFused, s.featureScale);
    }
    return versionModel(base, loaded.graphs, loaded.header.ranker, seq);
  }

  /**
   * Refuses a definition naming a version that is not stored or cannot answer over this catalog
   * (the error names `variants[i].modelVersion`); the versions it names are loaded here.
   */
  async check(e: Experiment): Promise<void> {
    for (const [i, v] of e.variants.entries())
      if (v.modelVersion !== undefined) await this.model(v.modelVersion, `variants[${i}].modelVersion`);
  }

  /** releases the versions no running experiment names */
  retain(running: readonly Experiment[]): void {
    if (this.versions.size === 0) return;
    const named = new Set(running.flatMap((e) => e.variants.map((v) => v.modelVersion)));
    for (const version of [...this.versions.keys()]) if (!named.has(version)) this.drop(version);
  }

  /** releases every loaded version (an erasure changed the stored ones; the engine closes) */
  clear(): void {
    for (const version of [...this.versions.keys()]) this.drop(version);
  }

  /** the versions loaded now */
  get loaded(): string[] {
    return [...this.versions.keys()];
  }

  private drop(version: string): void {
    this.versions.delete(version);
    for (const key of [...this.rankings.keys()])
      if (key.startsWith(`${version}\u0000`)) this.rankings.delete(key);
  }
}

/**
 * The experiments of an engine: a definition is checked against the engine's scenarios and the
 * stored versions (which are then loaded); a stop releases the versions no other experiment names.
 */
export function engineExperiments(
  feedback: Feedback,
  variants: Variants,
  checkScenario: (id: string) => void,
): ExperimentAdmin {
  return {
    create: (input) =>
      feedback.experiments.create(input, async (e) => {
        checkScenario(e.scenario);
        await variants.check(e);
      }),
    list: () => feedback.experiments.list(),
    stop: async (id) => {
      const stopped = await feedback.experiments.stop(id);
      variants.retain(feedback.experiments.runningNow());
      return stopped;
    },
    status: (id) => feedback.status(id),
  };
}

/** the request with a variant's diversity, when it sets one */
export function withVariant(req: ValidRecommendRequest, v: Variant): ValidRecommendRequest {
  return v.diversity === undefined ? req : { ...req, diversity: v.diversity };
}

/**
 * The served model with another version's item graphs, ranker weights and sequential model. Every
 * other field is read from the served model at each use (it is the prototype), so items added and
 * events taken since (counts, context statistics, popularity) are the served model's; the graphs
 * gain empty rows for items added after the version was trained.
 */
function versionModel(
  base: ScoringModel,
  graphs: ItemGraphs,
  ranker: ScoringModel['ranker'],
  seq: ScoringModel['seq'],
): ScoringModel {
  let own = graphs;
  let view: { counts: Float32Array; graphs: ItemGraphs } | undefined;
  const m = Object.create(base) as ScoringModel;
  Object.defineProperties(m, {
    ranker: { value: ranker, enumerable: true },
    seq: { value: seq, enumerable: true },
    graphs: {
      enumerable: true,
      get(): ItemGraphs {
        const counts = base.graphs.counts;
        if (view?.counts === counts) return view.graphs;
        const by = base.numItems - (own.knn.offsets.length - 1);
        if (by > 0)
          own = {
            ...own,
            knn: growCsr(own.knn, by),
            trans: growCsr(own.trans, by),
            ease: growCsr(own.ease, by),
            ...(own.easeFused ? { easeFused: growCsr(own.easeFused, by) } : {}),
            ...(own.attr ? { attr: growCsr(own.attr, by) } : {}),
          };
        view = { counts, graphs: { ...own, counts } };
        return view.graphs;
      },
    },
  });
  return m;
}
