/**
 * The one configuration schema. Every key has a default and a description; docs/config.md is
 * generated from this file (`fusionrec config --docs`) and a test keeps the two in sync.
 * Each module owns one section; modules receive their section, never the whole bag.
 */
import { z } from 'zod';
import { scenarioSchema } from '../core/types.ts';

const d = <T extends z.ZodType>(schema: T, description: string) => schema.describe(description);

export const storeSection = z
  .strictObject({
    url: d(
      z.string().default('sqlite://fusionrec.db'),
      'Data store: `sqlite://<file>` (embedded default) or `postgres://user:pass@host/db`.',
    ),
    batchSize: d(z.number().int().min(1).max(100_000).default(5000), 'Rows per write transaction on import.'),
  })
  .default({ url: 'sqlite://fusionrec.db', batchSize: 5000 });

export const privacySection = z
  .strictObject({
    pseudonymise: d(
      z.boolean().default(false),
      'Store user ids as HMAC-SHA256(secret, id) instead of the raw id (at every edge).',
    ),
    secret: d(
      z.string().default(''),
      'Secret key for pseudonymisation; required when pseudonymise is true. Env: FUSIONREC_SECRET.',
    ),
  })
  .default({ pseudonymise: false, secret: '' });

export const encoderSection = z
  .strictObject({
    provider: d(
      z.enum(['use', 'onnx', 'openai']).default('use'),
      'Text encoder: `use` (Universal Sentence Encoder Lite, in-process), `onnx` (local sentence-transformer folder), `openai` (/v1/embeddings endpoint).',
    ),
    modelPath: d(z.string().default(''), 'Folder of a local ONNX sentence-transformer (provider onnx).'),
    url: d(
      z.string().default(''),
      'Base URL of an OpenAI-compatible API (provider openai), e.g. http://localhost:11434/v1.',
    ),
    model: d(z.string().default(''), 'Model name sent to the OpenAI-compatible endpoint.'),
    apiKey: d(z.string().default(''), 'Bearer token for the endpoint. Env: FUSIONREC_ENCODER__API_KEY.'),
    batchSize: d(z.number().int().min(1).max(4096).default(64), 'Texts per model call.'),
    threads: d(z.number().int().min(0).max(64).default(0), 'Encoder worker threads; 0 = one per core.'),
    timeoutMs: d(z.number().int().min(100).default(30_000), 'Timeout of one remote encoder call.'),
  })
  .default({
    provider: 'use',
    modelPath: '',
    url: '',
    model: '',
    apiKey: '',
    batchSize: 64,
    threads: 0,
    timeoutMs: 30_000,
  });

export const generatorSection = z
  .strictObject({
    provider: d(
      z.enum(['none', 'openai', 'llama']).default('none'),
      'Optional generative model: `none` (deterministic fallbacks), `openai` (chat endpoint), `llama` (node-llama-cpp with a GGUF file).',
    ),
    url: d(z.string().default(''), 'Base URL of an OpenAI-compatible chat API.'),
    model: d(z.string().default(''), 'Chat model name, or the GGUF file path for provider llama.'),
    apiKey: d(z.string().default(''), 'Bearer token. Env: FUSIONREC_GENERATOR__API_KEY.'),
    timeoutMs: d(z.number().int().min(100).default(20_000), 'Timeout of one generation call.'),
  })
  .default({ provider: 'none', url: '', model: '', apiKey: '', timeoutMs: 20_000 });

export const serverSection = z
  .strictObject({
    host: d(z.string().default('127.0.0.1'), 'Interface the HTTP server binds.'),
    port: d(z.number().int().min(0).max(65535).default(8080), 'HTTP port. Env: FUSIONREC_SERVER__PORT.'),
    adminKeyHashes: d(
      z.array(z.string()).default([]),
      'SHA-256 hex hashes of admin API keys (writes). Empty = writes need no key (local use only).',
    ),
    readKeyHashes: d(z.array(z.string()).default([]), 'SHA-256 hex hashes of read-only API keys (browsers).'),
    bodyLimitBytes: d(
      z
        .number()
        .int()
        .min(1024)
        .default(4 * 1024 * 1024),
      'Largest accepted request body.',
    ),
    rateLimitPerMinute: d(
      z.number().int().min(0).default(600_000),
      'Requests per minute per key or IP; 0 = off.',
    ),
  })
  .default({
    host: '127.0.0.1',
    port: 8080,
    adminKeyHashes: [],
    readKeyHashes: [],
    bodyLimitBytes: 4 * 1024 * 1024,
    rateLimitPerMinute: 600_000,
  });

export const configSchema = z.strictObject({
  store: storeSection,
  privacy: privacySection,
  encoder: encoderSection,
  generator: generatorSection,
  server: serverSection,
  scenarios: d(
    z.array(scenarioSchema).default([]),
    'Scenarios known up front (importers register their own); each: id, kind, eventWeights, allowRepeats.',
  ),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
