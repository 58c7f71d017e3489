/**
 * Domain model of a multi-scenario recommender. One zod schema per entity validates every edge
 * (files, HTTP, library calls); the inferred types are what the rest of the engine trusts.
 */
import { z } from 'zod';

const SCENARIO_KINDS = ['ecommerce', 'music', 'video', 'news', 'social', 'custom'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** Dataset split an event belongs to; `*_input` are the request-time histories of held-out users. */
export const SPLITS = ['train', 'valid', 'test', 'valid_input', 'test_input'] as const;
export type Split = (typeof SPLITS)[number];

/** Timestamps are epoch milliseconds. Anything past this horizon is a bug in the caller. */
export const MAX_FUTURE_MS = 24 * 3600 * 1000;
export const MAX_ID_LENGTH = 256;
export const MAX_TEXT_LENGTH = 20_000;
const MAX_TAGS = 256;
const MAX_VECTOR_DIM = 4096;

const wellFormed = (s: string) => s.isWellFormed();

/** A string free of lone surrogates and NUL bytes, within a size limit. */
const safeText = (max: number) =>
  z
    .string()
    .max(max, { message: `longer than ${max} characters` })
    .refine(wellFormed, { message: 'contains a lone surrogate (not valid Unicode)' })
    .refine((s) => !s.includes('\u0000'), { message: 'contains a NUL character' });

export const idSchema = safeText(MAX_ID_LENGTH)
  .min(1, { message: 'must not be empty' })
  .refine((s) => s.trim() === s, { message: 'must not start or end with whitespace' });

/** Event types: the built-in ones or a custom lower-case name such as `tag` or `follow`. */
const eventTypeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, { message: 'must be a lower-case name like "view" or "add_to_list"' });

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

const timestampSchema = z
  .number()
  .int({ message: 'must be an integer number of epoch milliseconds' })
  .min(0, { message: 'must not be negative' })
  .refine((t) => t <= Date.now() + MAX_FUTURE_MS, { message: 'is in the future' });

const vectorSchema = z
  .array(finite)
  .min(1)
  .max(MAX_VECTOR_DIM, { message: `more than ${MAX_VECTOR_DIM} dimensions` });

const scalar = z.union([safeText(2000), finite, z.boolean()]);

export const scenarioSchema = z.strictObject({
  id: idSchema,
  kind: z.enum(SCENARIO_KINDS),
  name: safeText(200).optional(),
  /** weight of each event type in this scenario's interest model; negative weights push away */
  eventWeights: z.record(eventTypeSchema, finite).default({}),
  /** whether an item already consumed may be recommended again (music: yes; shop: usually no) */
  allowRepeats: z.boolean().default(false),
});
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export const itemSchema = z.strictObject({
  id: idSchema,
  scenario: idSchema,
  title: safeText(2000).default(''),
  description: safeText(MAX_TEXT_LENGTH).optional(),
  /** category path from root to leaf, e.g. ["Home", "Kitchen", "Knives"] */
  category: z.array(safeText(200)).max(32).optional(),
  tags: z.array(safeText(200)).max(MAX_TAGS).optional(),
  attributes: z.record(safeText(200), scalar).optional(),
  image: z
    .strictObject({
      caption: safeText(MAX_TEXT_LENGTH).optional(),
      visualTags: z.array(safeText(200)).max(MAX_TAGS).optional(),
      vector: vectorSchema.optional(),
    })
    .optional(),
  audio: z
    .strictObject({
      /** descriptors such as genre, mood, tempo, instruments */
      descriptors: z.record(safeText(200), z.union([safeText(2000), finite])).optional(),
      vector: vectorSchema.optional(),
    })
    .optional(),
  createdAt: timestampSchema.optional(),
  available: z.boolean().default(true),
});
export type Item = z.infer<typeof itemSchema>;
export type ItemInput = z.input<typeof itemSchema>;

export const userSchema = z.strictObject({
  id: idSchema,
  attributes: z.record(safeText(200), scalar).optional(),
});
export type User = z.infer<typeof userSchema>;

export const contextSchema = z
  .object({
    device: safeText(100).optional(),
    location: safeText(200).optional(),
    session: safeText(MAX_ID_LENGTH).optional(),
  })
  .catchall(scalar);
export type Context = z.infer<typeof contextSchema>;

export const eventSchema = z.strictObject({
  id: idSchema,
  user: idSchema,
  item: idSchema,
  scenario: idSchema,
  type: eventTypeSchema,
  /** rating, play count, dwell seconds: meaning depends on type */
  value: finite.optional(),
  text: safeText(MAX_TEXT_LENGTH).optional(),
  ts: timestampSchema,
  context: contextSchema.optional(),
  split: z.enum(SPLITS).optional(),
  /** the answer (`recommendationId`) that showed the item: the event is credited to it */
  recommendationId: idSchema.optional(),
});
export type Event = z.infer<typeof eventSchema>;
export type EventInput = z.input<typeof eventSchema>;
