/**
 * `fusionrec replay`: a candidate's click-through estimated from an experiment's logged
 * impressions. Slot candidates (`logging`, `item:<id>`) replay the exploration slot (replay.ts);
 * list candidates replay whole lists (replay-lists.ts): `ranking` (the logging policy's own
 * ranking without its shuffle) or a model version, whose lists an engine over the store computes
 * for every logged request (user, scenario, length, context), with experiments, exploration,
 * randomization and impressions off.
 */
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { activeVersion, listVersions } from '../model/versions.ts';
import type { Store } from '../store/types.ts';
import { createEngine, type EngineDeps } from './create.ts';
import { Experiments } from './experiments.ts';
import { replayExperiment } from './feedback.ts';
import type { ReplayEstimate } from './replay.ts';
import { type ListEstimate, type ListPolicy, listSamples, listSnips } from './replay-lists.ts';

export type CandidateEstimate =
  | ({ kind: 'slot'; unit: 'click-through of the slot' } & ReplayEstimate)
  | ({ kind: 'list'; unit: 'clicks per list' } & ListEstimate);

export async function replayCandidate(
  store: Store,
  config: Config,
  experiment: string,
  candidate: string,
  deps: EngineDeps = {},
): Promise<CandidateEstimate> {
  if (candidate === 'logging' || candidate.startsWith('item:'))
    return {
      kind: 'slot',
      unit: 'click-through of the slot',
      ...(await replayExperiment(store, config, experiment, candidate)),
    };
  await new Experiments(store).get(experiment);
  const clicks = new Set([...config.feedback.attributeTypes, ...config.feedback.conversionTypes]);
  if (candidate === 'ranking') {
    const policy: ListPolicy = async (imp) =>
      imp.randomized?.ranked.slice(0, imp.items.length) ?? imp.items.map((x) => x.item);
    return {
      kind: 'list',
      unit: 'clicks per list',
      ...listSnips(await listSamples(store, experiment, policy, clicks)),
    };
  }
  const versions = await listVersions(store);
  // what an engine names its answers when the store holds no version: an unversioned model
  // (`legacy-<stamp>`) or none (`untrained-<stamp>`)
  const unversioned = /^(legacy|untrained)-/.test(candidate);
  if (!versions.some((v) => v.version === candidate) && !unversioned)
    throw new RecError(
      'INVALID_INPUT',
      `unknown candidate "${candidate}" (a model version of \`fusionrec model list\`, ranking, logging or item:<id>)`,
      { field: 'candidate' },
    );
  const active = await activeVersion(store);
  if (active && active.version !== candidate) throw notServed(active.version, candidate);
  const engine = await createEngine(
    {
      ...config,
      feedback: {
        ...config.feedback,
        impressions: false,
        experiments: false,
        randomize: {},
        exploration: {},
      },
    },
    { ...deps, store },
  );
  try {
    const policy: ListPolicy = async (imp) => {
      const res = await engine.recommend({
        user: imp.user,
        scenario: imp.scenario,
        n: imp.items.length,
        ...(imp.context ? { context: imp.context } : {}),
      });
      if (res.modelVersion !== candidate) throw notServed(res.modelVersion, candidate);
      return res.items.map((r) => r.item);
    };
    return {
      kind: 'list',
      unit: 'clicks per list',
      ...listSnips(await listSamples(store, experiment, policy, clicks)),
    };
  } finally {
    await engine.close();
  }
}

/** a version's lists come from the engine, which serves the store's active version */
const notServed = (served: string, candidate: string) =>
  new RecError(
    'CONFLICT',
    `the store serves model version "${served}", not "${candidate}": replay computes a version's lists with the version the store serves (fusionrec model activate ${candidate})`,
    { field: 'candidate' },
  );
