/**
 * The `feedback` section: the impression log, how events are credited to what was shown, and the
 * exploration slot. Every key has a default and a description (docs/config.md).
 */
import { z } from 'zod';

const d = <T extends z.ZodType>(schema: T, description: string) => schema.describe(description);

const eventType = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, { message: 'must be a lower-case event type' });

const explorationRule = z.strictObject({
  every: d(
    z.number().int().min(2).max(1000),
    'One position in `every` (the last of each block) is filled by the exploration policy.',
  ),
  maxShows: d(
    z.number().int().min(1).default(50),
    'Items shown fewer times than this (counted by each process since it started) are exploration candidates.',
  ),
  seed: d(
    z.number().int().default(1),
    'Seed of the exploration policy (per request: seed, recommendation id).',
  ),
});

const randomizeRule = z.strictObject({
  epsilon: d(
    z.number().gt(0).max(1),
    "Share of answers served as a uniform shuffle of the ranking's first `top` items (the rest as ranked).",
  ),
  top: d(
    z.number().int().min(2).max(1000).default(20),
    'How deep in the ranking the shuffle draws (at least the requested length).',
  ),
  seed: d(z.number().int().default(1), 'Seed of the shuffle (per request: seed, recommendation id).'),
});

export const feedbackSection = z
  .strictObject({
    impressions: d(
      z.boolean().default(true),
      'Log every answer (recommend, similar items) as an impression with its recommendation id; off: answers still carry an id, nothing is logged and events cannot cite it.',
    ),
    queueSize: d(
      z.number().int().min(1).max(1_000_000).default(20_000),
      'Impressions waiting to be written at most; a full queue drops new ones and counts them (`/metrics`, experiment status).',
    ),
    batchSize: d(z.number().int().min(1).max(10_000).default(500), 'Impressions written per transaction.'),
    flushMs: d(
      z.number().int().min(1).max(60_000).default(200),
      'How long an impression waits in the queue before its batch is written.',
    ),
    attributionWindowSeconds: d(
      z.number().int().min(0).default(1800),
      'An event that cites no recommendation id is credited to the latest impression of its item for its user at most this long before it; 0: only cited ids are credited.',
    ),
    attributeTypes: d(
      z.array(eventType).min(1).default(['click', 'like', 'purchase']),
      'Event types credited to impressions (the clicks of click-through).',
    ),
    conversionTypes: d(
      z.array(eventType).default(['purchase']),
      'Event types counted as conversions (also credited).',
    ),
    exploration: d(
      z.record(z.string(), explorationRule).default({}),
      'Per scenario id: an exploration slot filled by new or rarely shown items (a seeded count-based bandit: an eligible item is drawn with probability proportional to 1 / (1 + its shows)), each shown item logged with its selection probability (docs/experiments.md).',
    ),
    randomize: d(
      z.record(z.string(), randomizeRule).default({}),
      'Per scenario id: randomized logging, so logged lists support offline replay of other rankings (`fusionrec replay`): a share `epsilon` of answers is shuffled, every shown item logged with its exact probability of its place (docs/experiments.md). Not applied to interleaved lists.',
    ),
    experiments: d(
      z.boolean().default(true),
      "Apply running experiments to answers; false: this process answers with its own settings only (an offline replay computing a candidate's lists).",
    ),
  })
  .prefault({});
