/** The one place that picks the generative model from configuration; `none` gives undefined. */
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { createOpenAIGenerator } from './openai.ts';
import type { Generator } from './types.ts';

export function createGenerator(cfg: Config['generator']): Generator | undefined {
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
    case 'llama':
      // node-llama-cpp builds or downloads native binaries at install time, which this project's
      // install policy forbids; serve the GGUF file with llama.cpp's server and use `openai`.
      throw new RecError(
        'INVALID_CONFIG',
        'provider llama needs node-llama-cpp, which is not bundled; run `llama-server -m <file.gguf>` and set generator.provider "openai" with generator.url "http://127.0.0.1:8080/v1"',
        { field: 'generator.provider' },
      );
  }
}
