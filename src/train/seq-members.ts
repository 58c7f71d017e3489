/**
 * The sequential model's ensemble in `fusionrec train`: as many models as fit the softmax budget
 * together (src/seq/ensemble.ts `membersFor`), each trained from its own seed one after another.
 * Each model checkpoints at its epochs as a lone model does, and a finished model of an unfinished
 * ensemble is kept under `seq-part.<k>`, so an interrupted run resumes at the model it was
 * training.
 */
import { seededSample } from '../core/rng.ts';
import { MODEL_NAMESPACE } from '../model/file.ts';
import { memberSeed, membersFor, scorerOfModels } from '../seq/ensemble.ts';
import { positionsOf } from '../seq/negatives.ts';
import {
  deleteSeqCheckpoint,
  loadSeqCheckpoint,
  loadSeqModel,
  saveSeqCheckpoint,
  saveSeqModel,
} from '../seq/persist.ts';
import { trainSeq, validNdcg } from '../seq/train.ts';
import type { SeqHooks, SeqModel, SeqOptions, SeqTrainData } from '../seq/types.ts';
import type { Store } from '../store/types.ts';

const PART = 'seq-part';

/** the ensemble's models, trained or resumed; the first model is the one a lone model would be */
export async function trainSeqMembers(
  store: Store,
  stamp: string,
  data: SeqTrainData,
  opts: SeqOptions,
  hooks: Pick<SeqHooks, 'onProgress' | 'signal'>,
): Promise<SeqModel[]> {
  const count = membersFor(opts, positionsOf(data.sequences));
  const models: SeqModel[] = [];
  for (let k = 0; k < count; k++) {
    // a lone model keeps the ensemble's stamp; the k-th model of several its own
    const stampK = k === 0 ? stamp : `${stamp}#${k}`;
    const done = count > 1 ? await loadSeqModel(store, stampK, `${PART}.${k}`) : undefined;
    if (done) {
      models.push(done.model);
      continue;
    }
    const label = count > 1 ? `seq model ${k + 1}/${count}: ` : '';
    const model = await trainSeq(
      data,
      { ...opts, seed: memberSeed(opts.seed, k) },
      {
        onProgress: (d, n, l) => hooks.onProgress?.(d, n, `${label}${l}`),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        resume: await loadSeqCheckpoint(store, stampK),
        onEpoch: (c) => saveSeqCheckpoint(store, stampK, c),
      },
    );
    await deleteSeqCheckpoint(store);
    if (count > 1) await saveSeqModel(store, stampK, model, 1, `${PART}.${k}`);
    models.push(model);
  }
  if (count === 1) return models;
  // the ensemble's own figure on the cases each model stopped on
  const ensembleValidNdcg10 = validNdcg(
    scorerOfModels(models),
    seededSample(data.valid, opts.validCases, opts.seed),
    data.itemScenario,
  );
  return models.map((m) => ({ ...m, report: { ...m.report, members: count, ensembleValidNdcg10 } }));
}

/** drops the finished models of an ensemble once the whole ensemble is saved */
export async function deleteSeqParts(store: Store): Promise<void> {
  const keys = (await store.blobs.keys(MODEL_NAMESPACE)).filter((k) => k.startsWith(`${PART}.`));
  if (keys.length > 0) await store.blobs.delete(MODEL_NAMESPACE, keys);
}
