/**
 * The results file of `fusionrec eval --json`: this zod schema is the source of truth; the JSON
 * Schema in docs/eval-schema.json is generated from it (`z.toJSONSchema`) and a test keeps the two
 * equal. Bump `schemaVersion` on any change that breaks a reader.
 */
import { z } from 'zod';

export const RESULT_SCHEMA_VERSION = 1;

const metrics = z
  .record(z.string(), z.number())
  .describe(
    'metric name -> mean over the group\'s cases, e.g. "ndcg@10", "hr@10", "recall@50", "mrr", "coverage@10", "ild@10", "novelty@10"',
  );

const groupSchema = z.strictObject({
  scenario: z.string().describe('"all" or one target scenario'),
  slice: z.string().describe('"all" or a slice named in protocol.slices'),
  ranking: z
    .enum(['full', 'sampled'])
    .describe('full ranking over the scenario, or target vs sampled negatives'),
  cases: z.number().int().min(0),
  metrics,
});

const curvePointSchema = z.strictObject({
  lambda: z.number().min(0).max(1),
  'ndcg@10': z.number(),
  'hr@10': z.number(),
  'ild@10': z.number(),
});

const modelResultSchema = z.strictObject({
  name: z.string(),
  description: z.string(),
  status: z.enum(['ok', 'skipped']),
  reason: z.string().optional().describe('why a model was skipped'),
  params: z
    .record(z.string(), z.union([z.number(), z.string(), z.boolean()]))
    .describe('hyper-parameters in use after tuning on valid'),
  timings: z.strictObject({
    fitMs: z.number().min(0),
    evalMs: z.number().min(0),
    queriesPerSecond: z.number().min(0),
  }),
  groups: z.array(groupSchema),
  diversityCurve: z
    .array(curvePointSchema)
    .describe(
      "serving's MMR (src/rank/mmr.ts) over the model's top 100 by item-vector similarity, per lambda (empty without vectors)",
    ),
  perCase: z
    .record(z.string(), z.array(z.number()))
    .optional()
    .describe(
      'metric name -> its value on every case of the top-level `cases`, in that order (full ranking)',
    ),
  ranked: z
    .array(z.array(z.string()))
    .optional()
    .describe(
      'opt-in (`fusionrec eval --ranked <k>`): the top k item ids of the full ranking of every case of the top-level `cases`, in that order',
    ),
});

const caseSchema = z.strictObject({
  user: z.string().optional().describe("the case's user"),
  scenario: z.string().describe("the case's target scenario"),
  slices: z.array(z.string()).describe('the slices the case counts in ("all" unless it is a slice variant)'),
});

const comparisonSchema = z.strictObject({
  model: z.string(),
  baseline: z.string(),
  metric: z.string().describe('the per-case metric compared, e.g. "ndcg@10"'),
  scenario: z.string(),
  slice: z.string(),
  cases: z.number().int().min(0),
  modelValue: z.number(),
  baselineValue: z.number(),
  gain: z.number().nullable().describe('modelValue / baselineValue - 1 (null when the baseline is 0)'),
  ci95: z
    .tuple([z.number(), z.number()])
    .nullable()
    .describe('2.5 % and 97.5 % percentiles of the gain over seeded paired-bootstrap resamples of the cases'),
  resamples: z.number().int().min(1),
});

export const evalResultSchema = z.strictObject({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  dataset: z.string(),
  createdAt: z.string().describe('ISO 8601 time the run finished'),
  protocol: z.strictObject({
    name: z.string(),
    description: z.string(),
    scenarios: z.array(z.string()),
    interactionTypes: z.array(z.string()).optional(),
    ks: z.array(z.number().int().min(1)),
    maskHistory: z.boolean(),
    sampledNegatives: z.number().int().min(0),
    holdout: z.strictObject({ test: z.number(), valid: z.number() }).optional(),
    slices: z.record(z.string(), z.string()).describe('slice name -> definition'),
    tuning: z.string().describe('how models were tuned'),
  }),
  data: z.strictObject({
    items: z.number().int(),
    trainUsers: z.number().int(),
    trainInteractions: z.number().int(),
    validCases: z.number().int(),
    testCases: z.number().int(),
    tuneCases: z.number().int(),
    itemVectors: z.string().nullable().describe('encoder id of the item vectors, or null'),
    notes: z.array(z.string()),
  }),
  run: z.strictObject({
    seed: z.number().int(),
    maxUsers: z.number().int().nullable(),
    configHash: z.string(),
    command: z.string(),
    versions: z.strictObject({ fusionrec: z.string(), node: z.string(), platform: z.string() }),
    timings: z.strictObject({ loadMs: z.number().min(0), totalMs: z.number().min(0) }),
    interrupted: z.boolean(),
  }),
  models: z.array(modelResultSchema),
  cases: z
    .array(caseSchema)
    .optional()
    .describe(
      "every ranked case in the harness's order (test cases, then slice variants): what `perCase` values refer to",
    ),
  comparisons: z
    .array(comparisonSchema)
    .optional()
    .describe('paired comparisons of two models on the same cases, per scenario and slice'),
});

export type EvalResult = z.infer<typeof evalResultSchema>;
export type ModelResult = z.infer<typeof modelResultSchema>;
export type GroupResult = z.infer<typeof groupSchema>;
export type Comparison = z.infer<typeof comparisonSchema>;
export type CaseInfo = z.infer<typeof caseSchema>;

/** The JSON Schema published in docs/eval-schema.json. */
export function resultJsonSchema(): unknown {
  return {
    ...(z.toJSONSchema(evalResultSchema) as Record<string, unknown>),
    $id: 'https://fusionrec.dev/schemas/eval-result-v1.json',
    title: 'fusionrec eval results',
  };
}
