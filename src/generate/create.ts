/** The one place that picks the generative model from configuration; `none` gives undefined. */
import type { Config } from '../config/schema.ts';
import { createOpenAIGenerator } from './openai.ts';
import type { Generator } from './types.ts';

export function createGenerator(
  cfg: Pick<Config['generator'], 'provider' | 'url' | 'model' | 'apiKey' | 'timeoutMs' | 'retries'>,
): Generator | undefined {
  switch (cfg.provider) {
    case 'none':
      return undefined;
    case 'openai':
      return createOpenAIGenerator({
        url: cfg.url,
        model: cfg.model,
        apiKey: cfg.apiKey,
        timeoutMs: cfg.timeoutMs,
        retries: cfg.retries,
      });
  }
}
