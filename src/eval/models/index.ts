/**
 * The models the harness can evaluate, by name: a plain data object, the one place that picks
 * implementations. `needs` lists what a dataset must provide for the model to apply; the harness
 * reports a model that does not apply as skipped, with the reason, instead of dropping it.
 */

import type { ModelEntry } from '../types.ts';
import { Bpr } from './bpr.ts';
import { ENGINE_MODELS } from './engine.ts';
import { ItemKnn } from './itemknn.ts';
import { Markov } from './markov.ts';
import { Popularity } from './popularity.ts';
import { SeqRec } from './seqrec.ts';
import { TextOnly } from './text.ts';

export const MODELS: Record<string, ModelEntry> = {
  popularity: { description: 'most training interactions first (PopRec)', create: () => new Popularity() },
  itemknn: {
    description: 'item-KNN, co-occurrence cosine with shrinkage, recency-weighted history',
    create: () => new ItemKnn(),
  },
  'itemknn-cross': {
    description:
      "cross-scenario item-KNN: neighbours from co-occurrence across scenarios only, scored from the user's history in the other scenarios",
    needs: ['scenarios'],
    create: () => new ItemKnn(undefined, true),
  },
  markov: { description: 'first-order item transitions with popularity backoff', create: () => new Markov() },
  bpr: {
    description: 'BPR matrix factorisation, seeded SGD, fold-in for unseen users',
    create: () => new Bpr(),
  },
  text: {
    description: 'language-model similarity of items to the recency-weighted history',
    needs: ['itemVectors'],
    create: () => new TextOnly(),
  },
  seqrec: {
    description: 'sequential model: attention over whitened text + id embeddings, per-scenario adaptors',
    create: () => new SeqRec(),
  },
  ...ENGINE_MODELS,
};
