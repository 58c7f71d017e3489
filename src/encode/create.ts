/** The one place that picks the encoder implementation from configuration. */
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import type { BlobStore } from '../store/types.ts';
import { createDistilledEncoder, loadTable } from './distil.ts';
import { createOpenAIEncoder } from './openai.ts';
import type { Encoder } from './types.ts';
import { createUseEncoder } from './use.ts';

/** `blobs`: where provider `distilled` finds its table (the derived store). */
export async function createEncoder(
  cfg: Config['encoder'],
  deps: { blobs?: BlobStore } = {},
): Promise<Encoder> {
  switch (cfg.provider) {
    case 'distilled': {
      if (!deps.blobs)
        throw new RecError('ENCODER_UNAVAILABLE', 'the distilled encoder needs a store holding its table');
      return createDistilledEncoder(await loadTable(deps.blobs, cfg.distil.from));
    }
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
