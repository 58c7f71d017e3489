/**
 * The JSON each route answers on success, as zod schemas: written into the OpenAPI document
 * (`RouteSpec.response`) and checked against every answer by the API fuzz suite
 * (tests/fuzz/api-fuzz.ts). Envelopes are loose objects: a client must accept fields added later.
 */
import { z } from 'zod';
import { eventSchema, itemSchema, scenarioSchema, userSchema } from '../core/types.ts';

const count = z.number().int().min(0);
const perKey = z.record(z.string(), z.number());

const explanation = z.looseObject({
  retriever: z.string(),
  interest: z
    .looseObject({ id: z.string(), label: z.string(), weight: z.number(), similarity: z.number() })
    .optional(),
  history: z.array(
    z.looseObject({ item: z.string(), title: z.string(), scenario: z.string(), contribution: z.number() }),
  ),
  context: z.array(
    z.looseObject({
      feature: z.string(),
      value: z.union([z.string(), z.number(), z.boolean()]),
      effect: z.number(),
    }),
  ),
  sentence: z.string().optional(),
});

const recommendation = z.looseObject({
  item: z.string(),
  title: z.string(),
  scenario: z.string(),
  score: z.number(),
  reasons: explanation,
});

const interest = z.looseObject({
  id: z.string(),
  label: z.string(),
  summary: z.string(),
  weight: z.number(),
  scenarioMix: perKey,
  lastTs: z.number(),
  topItems: z.array(z.string()),
  xy: z.tuple([z.number(), z.number()]).optional(),
});

const dependencyHealth = z.looseObject({
  status: z.enum(['ok', 'degraded', 'down']),
  target: z.string(),
  detail: z.string().optional(),
});
export const healthResponse = z.looseObject({
  status: z.enum(['ok', 'degraded']),
  dependencies: z.record(z.string(), dependencyHealth).optional(),
});
export const readyResponse = z.looseObject({ ready: z.literal(true), scenarios: count });
export const scenariosResponse = z.looseObject({ scenarios: z.array(scenarioSchema) });
export const systemResponse = z.looseObject({
  counts: z.looseObject({ items: count, users: count, events: count }),
  versions: z.record(z.string(), z.string()),
  latency: z.looseObject({
    uptimeS: z.number(),
    requests: count,
    routes: z.array(
      z.looseObject({
        route: z.string(),
        count,
        p50: z.number(),
        p95: z.number(),
        p99: z.number(),
        max: z.number(),
      }),
    ),
  }),
  memory: z.looseObject({ rssMb: z.number() }),
  node: z.string(),
});
export const openApiResponse = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

export const itemResponse = itemSchema;
export const itemListResponse = z.looseObject({ items: z.array(itemSchema), next: z.string().optional() });
export const upsertedResponse = z.looseObject({ upserted: count });
export const deletedResponse = z.looseObject({ deleted: z.literal(true) });
export const similarResponse = z.looseObject({ item: z.string(), items: z.array(recommendation) });

export const userListResponse = z.looseObject({ users: z.array(userSchema), next: z.string().optional() });
export const userSummaryResponse = userSchema.extend({ events: count, eventsPerScenario: perKey });
export const removedResponse = z.looseObject({ removed: count });
export const profileResponse = z.looseObject({
  user: z.string(),
  events: count,
  fused: z.array(interest),
  perScenario: z.record(z.string(), z.array(interest)),
  updatedAt: z.number(),
});
export const historyResponse = z.looseObject({
  user: z.string(),
  events: z.array(eventSchema.extend({ title: z.string() })),
});
export const mapResponse = z.looseObject({
  user: z.string(),
  method: z.literal('pca'),
  items: z.array(
    z.looseObject({
      id: z.string(),
      title: z.string(),
      scenario: z.string(),
      types: perKey,
      lastTs: z.number(),
      x: z.number(),
      y: z.number(),
    }),
  ),
  interests: z.array(
    z.looseObject({
      id: z.string(),
      scope: z.string(),
      label: z.string(),
      summary: z.string(),
      weight: z.number(),
      scenario: z.string(),
      scenarioMix: perKey,
      topItems: z.array(z.string()),
      x: z.number(),
      y: z.number(),
    }),
  ),
});

export const eventCountsResponse = z.looseObject({ inserted: count, duplicates: count });
export const recommendResponse = z.looseObject({
  user: z.string(),
  scenario: z.string(),
  items: z.array(recommendation),
  retrievers: z.array(z.string()),
  modelVersion: z.string(),
});
export const explainResponse = explanation.extend({ user: z.string(), item: z.string(), score: z.number() });
