/**
 * Whether a booting engine serves the store's active model. A versioned model serves until another
 * is activated: the events since its training are the tail a boot folds in (boot.ts); it is stale
 * only for another train config or catalog. A model from before versions carries no event
 * position: it is fresh only for the very data it saw. A stale model is refused (MODEL_STALE) or,
 * by `engine.staleModel`, set aside with a warning while the signals are rebuilt from the store.
 */
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { dataHash, stampOf } from '../model/file.ts';
import type { LoadedModel } from '../model/versions.ts';
import type { Store } from '../store/types.ts';

const sameIds = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((id, i) => id === b[i]);

export interface Freshness {
  fresh: boolean;
  /** the stamp of the store's data under the train config (made on first call: it reads the store) */
  currentStamp(): Promise<string>;
}

export async function modelFreshness(
  store: Store,
  config: Config,
  trained: LoadedModel | undefined,
  itemIds: readonly string[],
  warn: (m: string) => void,
): Promise<Freshness> {
  let stamp: string | undefined;
  const currentStamp = async () => {
    stamp ??= stampOf(await dataHash(store, itemIds), config.train).stamp;
    return stamp;
  };
  let fresh = false;
  if (trained?.record) {
    fresh =
      trained.header.configHash === stampOf('', config.train).configHash &&
      sameIds(trained.header.itemIds, itemIds);
  } else if (trained) {
    fresh =
      trained.header.stamp === (await currentStamp()) && trained.header.itemIds.length === itemIds.length;
  }
  if (trained && !fresh) {
    if (config.engine.staleModel === 'error') {
      throw new RecError(
        'MODEL_STALE',
        'the trained model was made from other data or settings: run `fusionrec train`',
        {
          details: { model: trained.header.stamp, version: trained.version, data: await currentStamp() },
        },
      );
    }
    warn(
      'the trained model is stale (data or train config changed): signals rebuilt from the store; run `fusionrec train` to refit the ranker',
    );
  }
  return { fresh, currentStamp };
}
