/**
 * The one configuration schema. Every key has a default and a description; docs/config.md is
 * generated from this file (`fusionrec config --docs`) and a test keeps the two in sync.
 * Each module owns one section; modules receive their section, never the whole bag.
 */
import { z } from 'zod';
import { scenarioSchema } from '../core/types.ts';
import { busSection, cacheSection } from './cluster.ts';
import { engineSection, trainSection } from './engine.ts';
import { feedbackSection } from './feedback.ts';
import { DEFAULT_FUSION, DEFAULT_TEMPLATE, TEMPLATE_FIELDS, unknownPlaceholders } from './fusion.ts';
import { seqSection } from './seq.ts';

const d = <T extends z.ZodType>(schema: T, description: string) => schema.describe(description);

const storeSection = z
  .strictObject({
    url: d(
      z.string().default('sqlite://fusionrec.db'),
      'Data store: `sqlite://<file>` or a bare file path (SQLite, embedded), or `postgres://user:password@host:5432/database` (PostgreSQL, shared by every node; see docs/store.md).',
    ),
    batchSize: d(
      z.number().int().min(1).max(100_000).default(20_000),
      'Records per write transaction on import: larger batches mean fewer commits, and more records to redo when a batch fails.',
    ),
  })
  .prefault({});

const privacySection = z
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
  .prefault({});

const fusionSection = z
  .strictObject({
    template: d(
      z
        .array(z.string())
        .min(1)
        .refine((t) => unknownPlaceholders(t).length === 0, {
          message: `unknown placeholder; known: ${TEMPLATE_FIELDS.join(', ')}`,
        })
        .default([...DEFAULT_TEMPLATE]),
      'Unified-text template: segments joined with ". "; `{title}` `{description}` `{generated}` `{category}` `{tags}` `{imageCaption}` `{visualTags}` `{audio}` `{attributes}` `{scenario}`; a segment whose placeholders are all empty is dropped (docs/encoding.md).',
    ),
    maxDescriptionChars: d(
      z.number().int().min(0).default(600),
      'Description cut, in characters, before encoding.',
    ),
    text: d(z.number().min(0).default(DEFAULT_FUSION.text), 'Weight of the text vector in the item vector.'),
    image: d(
      z.number().min(0).default(DEFAULT_FUSION.image),
      'Weight of the (randomly projected) image vector, when an item has one.',
    ),
    audio: d(
      z.number().min(0).default(DEFAULT_FUSION.audio),
      'Weight of the (randomly projected) audio vector, when an item has one.',
    ),
    ngram: d(
      z.number().min(0).default(DEFAULT_FUSION.ngram),
      'Weight of the character n-gram channel for text the encoder cannot read.',
    ),
    minCoverage: d(
      z.number().min(0).max(1).default(DEFAULT_FUSION.minCoverage),
      'Below this share of readable characters an item gets the n-gram channel (and a warning).',
    ),
  })
  .prefault({});

const distilSection = z
  .strictObject({
    from: d(
      z.enum(['use', 'onnx', 'openai']).default('use'),
      'Encoder the `distilled` table is built from (with the other `encoder` settings).',
    ),
    dims: d(
      z.number().int().min(8).max(4096).default(256),
      'Dimensions kept by PCA; the source dimension or more keeps them all (centring only).',
    ),
    minCount: d(z.number().int().min(1).default(1), 'Words seen fewer times in the catalog are left out.'),
    maxVocab: d(z.number().int().min(1).default(50_000), 'Most words in the table, the most frequent first.'),
    sifA: d(
      z.number().positive().max(1).default(1e-3),
      'SIF weighting: a word of catalog probability p weighs a / (a + p).',
    ),
  })
  .prefault({});

const encoderSection = z
  .strictObject({
    provider: d(
      z.enum(['use', 'onnx', 'openai', 'distilled']).default('use'),
      'Text encoder: `use` (Universal Sentence Encoder Lite, in-process), `onnx` (local sentence-transformer folder), `openai` (/v1/embeddings endpoint), `distilled` (a static word table distilled from `encoder.distil.from` by `fusionrec distil`: fast, for bulk catalogs).',
    ),
    modelPath: d(z.string().default(''), 'Folder of a local ONNX sentence-transformer (provider onnx).'),
    url: d(
      z.string().default(''),
      'Base URL of an OpenAI-compatible API (provider openai), e.g. http://localhost:11434/v1.',
    ),
    model: d(z.string().default(''), 'Model name sent to the OpenAI-compatible endpoint.'),
    apiKey: d(z.string().default(''), 'Bearer token for the endpoint. Env: FUSIONREC_ENCODER__API_KEY.'),
    batchSize: d(z.number().int().min(1).max(4096).default(32), 'Most texts per model call.'),
    maxBatchTokens: d(
      z.number().int().min(16).default(2048),
      'Most padded tokens per model call (provider use): long texts travel in smaller batches.',
    ),
    threads: d(z.number().int().min(0).max(64).default(0), 'Encoder worker threads; 0 = one per core.'),
    timeoutMs: d(z.number().int().min(100).default(30_000), 'Timeout of one remote encoder call.'),
    retries: d(
      z.number().int().min(0).max(10).default(3),
      'Retries of a remote call on 429, 5xx or network errors.',
    ),
    cachePath: d(
      z.string().default('.cache/embeddings.db'),
      'SQLite file caching text vectors across databases (key: encoder id + sha256 of the text); empty = cache inside the data store.',
    ),
    fusion: fusionSection,
    distil: distilSection,
  })
  .prefault({});

const generatorSection = z
  .strictObject({
    provider: d(
      z
        .enum(['none', 'openai'], {
          // A local GGUF model is served by llama.cpp's server (or Ollama, vLLM), which speaks the
          // OpenAI API; an in-process llama binding would need native builds at install time.
          error: (issue) =>
            issue.input === 'llama'
              ? 'provider "llama" was removed: serve the model with an OpenAI-compatible server (llama.cpp `llama-server -m <file.gguf>`, Ollama, vLLM) and set generator.provider "openai" with generator.url, e.g. "http://127.0.0.1:8080/v1"'
              : undefined,
        })
        .default('none'),
      'Optional generative model: `none` (deterministic fallbacks) or `openai` (any OpenAI-compatible chat endpoint: OpenAI, llama.cpp server, Ollama, vLLM).',
    ),
    url: d(z.string().default(''), 'Base URL of an OpenAI-compatible chat API.'),
    model: d(z.string().default(''), 'Chat model name sent to the endpoint.'),
    apiKey: d(z.string().default(''), 'Bearer token. Env: FUSIONREC_GENERATOR__API_KEY.'),
    timeoutMs: d(z.number().int().min(100).default(20_000), 'Timeout of one generation call.'),
    retries: d(
      z.number().int().min(0).max(10).default(2),
      'Retries of a generation call on 429, 5xx or network errors.',
    ),
    enrich: d(
      z.boolean().default(false),
      'Before encoding, fill a missing description or keywords of items with generated text (cached, marked generated).',
    ),
    summaries: d(
      z.boolean().default(true),
      'With a generator: one generated sentence per interest in the profile, written in the background when the interest changes (cached; template until then).',
    ),
    explain: d(
      z.boolean().default(true),
      'With a generator: explanation sentences written from the structured reasons and checked against them (template when a sentence names anything else).',
    ),
    sentiment: d(
      z.boolean().default(true),
      'With a generator: comment and review text the English analyser cannot read (mostly non-Latin script, e.g. Chinese) is scored by the model in the background (cached); the lexicon or neutral score stands until it answers.',
    ),
    explainTop: d(
      z.number().int().min(0).max(100).default(3),
      'Recommendations per response whose sentence is generated in the background for later requests.',
    ),
    explainTimeoutMs: d(
      z.number().int().min(50).max(60_000).default(2500),
      'Longest wait of /v1/explain for a generated sentence before it answers with the template.',
    ),
  })
  .prefault({});

const tenantSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'letters, digits, _ and - (1-64)' }),
  store: z.strictObject({ url: z.string().min(1) }),
  adminKeyHashes: z.array(z.string()).min(1, { message: 'a tenant needs at least one admin key' }),
  readKeyHashes: z.array(z.string()).default([]),
});

const serverSection = z
  .strictObject({
    host: d(z.string().default('127.0.0.1'), 'Interface the HTTP server binds.'),
    port: d(z.number().int().min(0).max(65535).default(8080), 'HTTP port. Env: FUSIONREC_SERVER__PORT.'),
    adminKeyHashes: d(
      z.array(z.string()).default([]),
      'SHA-256 hex hashes of admin API keys (writes). Empty = writes need no key (local use only).',
    ),
    readKeyHashes: d(
      z.array(z.string()).default([]),
      'SHA-256 hex hashes of read-only API keys, for servers: a read key reads every user. A browser gets a user token (`POST /v1/tokens`) instead.',
    ),
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
      'Requests per minute per valid key or user token, else per client IP (no key, or one the server does not know); 0 = off.',
    ),
    authFailuresPerMinute: d(
      z.number().int().min(0).default(20),
      'Failed authentications per minute per client IP; past it every request from that IP that presents a key or token gets 429 with Retry-After until the minute ends. 0 = off.',
    ),
    requestTimeoutMs: d(
      z.number().int().min(0).default(30_000),
      'Longest time to receive a whole request, headers and body; a slower client gets 408 and is disconnected. 0 = no limit.',
    ),
    headersTimeoutMs: d(
      z.number().int().min(1).default(10_000),
      'Longest time to receive the request headers (at most requestTimeoutMs); a slower client gets 408 and is disconnected.',
    ),
    keepAliveTimeoutMs: d(
      z.number().int().min(1).default(5_000),
      'A kept-alive connection with no new request for this long is closed.',
    ),
    connectionTimeoutMs: d(
      z.number().int().min(0).default(60_000),
      'A connection that sends and receives nothing for this long is closed. 0 = no limit.',
    ),
    maxConnections: d(
      z.number().int().min(0).default(0),
      'Most open connections; further ones are closed at once. 0 = three quarters of the open-file limit (Linux), else 10000.',
    ),
    tokenSecret: d(
      z.string().default(''),
      'HMAC-SHA256 secret (32+ characters) that signs user tokens (`POST /v1/tokens`); empty = tokens off. Env: FUSIONREC_SERVER__TOKEN_SECRET.',
    ),
    tokenTtlSeconds: d(
      z.number().int().min(10).max(86_400).default(900),
      'Lifetime of a user token: the default and the longest a request may ask for.',
    ),
    tenants: d(
      z.array(tenantSchema).default([]),
      'Isolated catalogs served by one server: each `{id, store: {url}, adminKeyHashes, readKeyHashes}` with its own store and engine; a key or token acts on its tenant only. Empty = one tenant from `store.url` and the keys above.',
    ),
  })
  .prefault({});

export const configSchema = z.strictObject({
  store: storeSection,
  privacy: privacySection,
  encoder: encoderSection,
  generator: generatorSection,
  server: serverSection,
  engine: engineSection,
  train: trainSection,
  seq: seqSection,
  bus: busSection,
  cache: cacheSection,
  feedback: feedbackSection,
  scenarios: d(
    z.array(scenarioSchema).default([]),
    'Scenarios known up front (importers register their own); each: id, kind, eventWeights, allowRepeats.',
  ),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
