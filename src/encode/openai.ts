/**
 * OpenAI-compatible `/v1/embeddings` provider (OpenAI, Ollama, vLLM, llama.cpp server, ...):
 * batches of `batchSize` texts, a few batches in flight, timeout and retries per call.
 */
import { RecError } from '../core/errors.ts';
import { chunks, l2normalise } from './batch.ts';
import { endpoint, postJson } from './http.ts';
import type { Encoder } from './types.ts';

export interface OpenAIEncoderOptions {
  url: string;
  model: string;
  apiKey?: string;
  batchSize?: number;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  /** batches in flight at once */
  concurrency?: number;
}

interface EmbeddingsReply {
  data: { index?: number; embedding: number[] }[];
}

function parseReply(reply: unknown, n: number, url: string): Float32Array[] {
  const data = (reply as Partial<EmbeddingsReply> | null)?.data;
  if (!Array.isArray(data) || data.length !== n)
    throw new RecError(
      'ENCODER_UNAVAILABLE',
      `${url} returned ${Array.isArray(data) ? data.length : 'no'} embeddings for ${n} texts`,
    );
  const out = new Array<Float32Array>(n);
  data.forEach((d, i) => {
    const at = typeof d.index === 'number' ? d.index : i;
    if (!Array.isArray(d.embedding) || !(at >= 0 && at < n) || !d.embedding.every(Number.isFinite))
      throw new RecError('ENCODER_UNAVAILABLE', `${url} returned a malformed embedding at position ${i}`);
    out[at] = l2normalise(Float32Array.from(d.embedding));
  });
  if (out.some((v) => v === undefined))
    throw new RecError('ENCODER_UNAVAILABLE', `${url} returned duplicate indices`);
  return out;
}

/** Connects and asks for one embedding to learn the dimension; fails fast with the URL named. */
export async function createOpenAIEncoder(opts: OpenAIEncoderOptions): Promise<Encoder> {
  if (!opts.url)
    throw new RecError('INVALID_CONFIG', 'the openai encoder needs a URL', { field: 'encoder.url' });
  const url = endpoint(opts.url, 'embeddings');
  const batchSize = opts.batchSize ?? 64;
  const concurrency = opts.concurrency ?? 2;
  const call = async (texts: string[]) =>
    parseReply(
      await postJson(
        url,
        { model: opts.model, input: texts },
        {
          ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
          timeoutMs: opts.timeoutMs ?? 30_000,
          retries: opts.retries ?? 3,
          ...(opts.backoffMs !== undefined ? { backoffMs: opts.backoffMs } : {}),
          code: 'ENCODER_UNAVAILABLE',
        },
      ),
      texts.length,
      url,
    );
  const probe = await call(['dimension probe']);
  const dim = probe[0]!.length;
  return {
    id: `openai:${opts.model || 'default'}@${new URL(url).host}`,
    dim,
    async encode(texts: readonly string[]): Promise<Float32Array[]> {
      const batches = chunks(
        texts.map((t) => (t.length > 0 ? t : ' ')),
        batchSize,
      );
      const results = new Array<Float32Array[]>(batches.length);
      let next = 0;
      const lane = async () => {
        while (next < batches.length) {
          const i = next++;
          results[i] = await call(batches[i]!);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, lane));
      const out = results.flat();
      for (const v of out)
        if (v.length !== dim)
          throw new RecError(
            'ENCODER_UNAVAILABLE',
            `${url} returned a ${v.length}-d vector, expected ${dim}`,
          );
      return out;
    },
    close: async () => {},
  };
}
