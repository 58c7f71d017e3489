/** The one place that picks the encoder implementation from configuration. */
import type { Config } from '../config/schema.ts';
import { createOpenAIEncoder } from './openai.ts';
import type { Encoder } from './types.ts';
import { createUseEncoder } from './use.ts';

export async function createEncoder(cfg: Config['encoder']): Promise<Encoder> {
  switch (cfg.provider) {
    case 'use':
      return createUseEncoder({
        threads: cfg.threads,
        limits: { maxBatch: cfg.batchSize, maxTokens: cfg.maxBatchTokens },
      });
    case 'onnx': {
      // loaded on demand: transformers.js and onnxruntime are heavy and most runs never need them
      const { createOnnxEncoder } = await import('./onnx.ts');
      return createOnnxEncoder({ modelPath: cfg.modelPath, batchSize: cfg.batchSize });
    }
    case 'openai':
      return createOpenAIEncoder({
        url: cfg.url,
        model: cfg.model,
        apiKey: cfg.apiKey,
        batchSize: cfg.batchSize,
        timeoutMs: cfg.timeoutMs,
        retries: cfg.retries,
      });
  }
}
