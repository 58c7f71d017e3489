/**
 * The `seq` configuration section: the sequential model `fusionrec train` fits and the engine's
 * `seq` ranker feature uses. Every key has a default and a description (docs/config.md).
 */
import { z } from 'zod';

/** defaults of the sequential model's settings (the `seq` section and `DEFAULT_SEQ_OPTIONS`) */
export const SEQ_DEFAULTS = {
  dim: 64,
  maxLen: 20,
  textDim: 128,
  negatives: 1024,
  softmaxBudget: 150_000_000,
  members: 1,
  batchSize: 256,
  lr: 0.003,
  lrDecay: 0.5,
  l2: 1e-5,
  epochs: 30,
  patience: 3,
  validCases: 4000,
  scenarioAdapt: true,
  gate: false,
  arch: 'pool',
  layers: 2,
  heads: 2,
  dropout: 0.2,
  average: false,
  stopOn: 'fitting',
  metadata: true,
} as const;
const D = SEQ_DEFAULTS;

const d = <T extends z.ZodType>(schema: T, description: string) => schema.describe(description);

export const seqSection = z
  .strictObject({
    enabled: d(
      z.boolean().default(true),
      'Train the sequential model in `fusionrec train` and use it as the ranker feature `seq`.',
    ),
    dim: d(z.number().int().min(4).max(512).default(D.dim), 'Width of item and user representations.'),
    maxLen: d(
      z.number().int().min(1).max(200).default(D.maxLen),
      'Most recent history items the model reads.',
    ),
    textDim: d(
      z.number().int().min(0).max(1024).default(D.textDim),
      'Principal components of the whitened language-model vectors fed to the item adaptor (0 = ids only).',
    ),
    negatives: d(
      z.number().int().min(1).max(10_000).default(D.negatives),
      'Negatives per batch for the sampled softmax, drawn uniformly from the target scenario and shared by the batch (a scenario with no more items than this gives every item: the exact softmax). More give a sharper model for more training time (measured in docs/results.md).',
    ),
    softmaxBudget: d(
      z.number().int().min(1).default(D.softmaxBudget),
      "Most candidate scores of the sampled softmax per epoch (predicted positions x negatives): where the training data has more positions than this allows at `negatives`, each batch draws fewer (never under 64), so an epoch's cost stops growing with the negatives. The default lets up to about 146,000 positions draw 1,024 negatives; an epoch at the budget takes about 40 s on two idle cores (ids only).",
    ),
    members: d(
      z.number().int().min(1).max(16).default(D.members),
      "Most models of an ensemble whose mean score is the `seq` feature, each trained from its own seed: as many as fit the softmax budget together (members x predicted positions x negatives within `softmaxBudget`), at least one, so small data gets several and large data spends the budget on negatives. One by default: on Scientific four lift the sequential model's own valid NDCG@10 by 4-6 % but not the engine's (docs/results.md), at up to four times the model's training time.",
    ),
    batchSize: d(z.number().int().min(1).max(100_000).default(D.batchSize), 'Training examples per step.'),
    lr: d(z.number().gt(0).max(1).default(D.lr), 'Adam learning rate.'),
    lrDecay: d(
      z.number().gt(0).max(1).default(D.lrDecay),
      'Factor the learning rate is multiplied by after each epoch whose valid NDCG@10 does not beat the best so far (1 = a constant rate): the epochs that early stopping waits through then take smaller steps from where the model got to.',
    ),
    l2: d(z.number().min(0).default(D.l2), 'L2 penalty on id embeddings and item biases.'),
    epochs: d(z.number().int().min(1).max(1000).default(D.epochs), 'Most training epochs.'),
    patience: d(
      z.number().int().min(1).default(D.patience),
      'Epochs without a better valid NDCG@10 before early stopping.',
    ),
    validCases: d(
      z.number().int().min(1).default(D.validCases),
      'Valid cases (a seeded sample) scored after each epoch for early stopping.',
    ),
    metadata: d(
      z.boolean().default(D.metadata),
      "Where the items have no language-model vectors, feed the model each item's catalogue metadata in their place (the attribute graph's IDF-weighted tokens, hashed into 1,024 slots, then whitened to `textDim` components): items the model has few or no events of are then represented by what they share with others.",
    ),
    scenarioAdapt: d(
      z.boolean().default(true),
      'Learn per-scenario item and user factors (STAR-style); false shares one model across scenarios.',
    ),
    stopOn: d(
      z.enum(['fitting', 'apart']).default(D.stopOn),
      "The valid cases `fusionrec train` stops (and averages) the sequential model on: `fitting` = the ranker's fitting cases; `apart` = validation targets the ranker is not fitted on (those the `train.fitCases` sample leaves out), where at least `validCases` of them exist, else the fitting cases.",
    ),
    average: d(
      z.boolean().default(D.average),
      "Serve the mean of the weights of the epochs from the best valid epoch to the last one trained (tail averaging of the weights, as stochastic weight averaging does), where its valid NDCG@10 is at least the best epoch's; false = the best epoch's weights (measured both ways in docs/results.md).",
    ),
    gate: d(
      z.boolean().default(D.gate),
      "A PEPNet-style gate on the user state: per scenario, a factor in (0, 2) per dimension computed from the user's history representation (2 sigmoid(G_s v + b_s), starting at 1), so how a scenario reads a user depends on the user. Learnt only with `scenarioAdapt`.",
    ),
    arch: d(
      z.enum(['pool', 'sasrec']).default(D.arch),
      'History encoder: `pool` (attention pooling, one example per position) or `sasrec` (causal self-attention blocks, every position of a window trained at once).',
    ),
    layers: d(
      z.number().int().min(1).max(8).default(D.layers),
      'Self-attention blocks of the `sasrec` encoder.',
    ),
    heads: d(
      z.number().int().min(1).max(16).default(D.heads),
      'Attention heads per block of the `sasrec` encoder; must divide `dim`.',
    ),
    dropout: d(
      z.number().min(0).max(0.9).default(D.dropout),
      'Dropout rate of the `sasrec` encoder in training (input, attention output, feed-forward output).',
    ),
  })
  .refine((c) => c.dim % c.heads === 0, { message: 'seq.heads must divide seq.dim', path: ['heads'] })
  .prefault({});

export type SeqConfig = z.infer<typeof seqSection>;
