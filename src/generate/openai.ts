/** OpenAI-compatible `/v1/chat/completions` provider (OpenAI, Ollama, vLLM, llama.cpp server). */
import { RecError } from '../core/errors.ts';
import { endpoint, postJson } from '../encode/http.ts';
import type { ChatMessage, CompleteOptions, Generator } from './types.ts';

export interface OpenAIGeneratorOptions {
  url: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
}

export function createOpenAIGenerator(opts: OpenAIGeneratorOptions): Generator {
  if (!opts.url)
    throw new RecError('INVALID_CONFIG', 'the openai generator needs a URL', { field: 'generator.url' });
  const url = endpoint(opts.url, 'chat/completions');
  return {
    id: `openai:${opts.model || 'default'}@${new URL(url).host}`,
    async complete(messages: readonly ChatMessage[], o: CompleteOptions = {}): Promise<string> {
      const reply = (await postJson(
        url,
        {
          model: opts.model,
          messages,
          max_tokens: o.maxTokens ?? 200,
          temperature: o.temperature ?? 0.2,
          stream: false,
        },
        {
          ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
          timeoutMs: opts.timeoutMs ?? 20_000,
          retries: opts.retries ?? 2,
          ...(opts.backoffMs !== undefined ? { backoffMs: opts.backoffMs } : {}),
          code: 'GENERATOR_UNAVAILABLE',
          ...(o.signal ? { signal: o.signal } : {}),
        },
      )) as { choices?: { message?: { content?: unknown } }[] } | null;
      const content = reply?.choices?.[0]?.message?.content;
      if (typeof content !== 'string' || content.trim() === '')
        throw new RecError('GENERATOR_UNAVAILABLE', `${url} returned no message content`);
      return content.trim();
    },
    close: async () => {},
  };
}
