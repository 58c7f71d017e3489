import { z } from 'zod';
import { ERROR_CATALOGUE } from '../core/errors.ts';
import type { RouteSpec } from './route.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const js = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: s,
  }));
}

const errorResponse = {
  description:
    'Error: `{error: {code, message, field?}}`; `code` is stable, `field` names the offending input.',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

/** The OpenAPI 3.1 document, written from the same route specs and zod schemas that validate requests. */
export function buildOpenApi(routes: readonly RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      responses: {
        [String(r.status ?? 200)]: {
          description: 'Success',
          content: { 'application/json': r.response ? { schema: jsonSchema(r.response, 'output') } : {} },
        },
        '4XX': errorResponse,
        '5XX': errorResponse,
      },
      ...(r.access === 'public'
        ? { security: [] }
        : { security: r.access === 'admin' ? [{ adminKey: [] }] : [{ readKey: [] }, { adminKey: [] }] }),
    };
    const body = r.engineBody ?? r.body;
    if (body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(body) } } };
    }
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'fusionrec',
      version,
      description:
        'Multi-scenario recommendation engine. Reads need a read key (when read keys are configured); writes need an admin key (when admin keys are configured). Keys go in `Authorization: Bearer <key>` or `X-API-Key`.',
    },
    paths,
    components: {
      securitySchemes: {
        readKey: { type: 'http', scheme: 'bearer', description: 'read-only key: GET routes and recommend' },
        adminKey: { type: 'http', scheme: 'bearer', description: 'admin key: every route' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_CATALOGUE) },
                message: { type: 'string' },
                field: { type: 'string' },
                location: { type: 'string' },
              },
            },
          },
        },
      },
    },
  };
}
