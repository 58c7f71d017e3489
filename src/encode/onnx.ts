/**
 * A local sentence-transformer folder (Hugging Face layout: config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx) run through transformers.js on onnxruntime-node's CPU
 * binary, with remote models disabled: nothing is ever downloaded. For users who bring a bigger
 * or multilingual model (e.g. paraphrase-multilingual-MiniLM-L12-v2 exported to ONNX).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RecError } from '../core/errors.ts';
import { l2normalise, planBatches } from './batch.ts';
import type { Encoder } from './types.ts';

export interface OnnxEncoderOptions {
  modelPath: string;
  batchSize?: number;
  /** pooling over token vectors: mean (sentence-transformers default) or cls */
  pooling?: 'mean' | 'cls';
}

/** Id from the folder name and a hash of its config, tokenizer and weights size. */
function modelId(dir: string): string {
  const h = createHash('sha256');
  for (const f of ['config.json', 'tokenizer.json', 'onnx/model.onnx']) {
    const p = join(dir, f);
    if (f.endsWith('.onnx')) h.update(String(statSync(p).size));
    else h.update(readFileSync(p));
  }
  return `onnx:${basename(dir)}@${h.digest('hex').slice(0, 12)}`;
}

export async function createOnnxEncoder(opts: OnnxEncoderOptions): Promise<Encoder> {
  const dir = resolve(opts.modelPath);
  for (const f of ['config.json', 'tokenizer.json', 'onnx/model.onnx']) {
    if (!existsSync(join(dir, f)))
      throw new RecError(
        'INVALID_CONFIG',
        `${join(dir, f)} not found: modelPath must be a sentence-transformer folder with an ONNX export`,
        {
          field: 'encoder.modelPath',
        },
      );
  }
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(dir);
  let extractor: Awaited<ReturnType<typeof pipeline<'feature-extraction'>>>;
  try {
    extractor = await pipeline('feature-extraction', basename(dir), {
      local_files_only: true,
      dtype: 'fp32',
      device: 'cpu',
    });
  } catch (cause) {
    throw new RecError(
      'ENCODER_UNAVAILABLE',
      `could not load the ONNX model in ${dir}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const pooling = opts.pooling ?? 'mean';
  const batchSize = opts.batchSize ?? 32;
  const run = async (texts: string[]): Promise<Float32Array[]> => {
    const out = await extractor(texts, { pooling, normalize: true });
    const [n, dim] = out.dims as [number, number];
    const data = out.data as Float32Array;
    const rows = Array.from({ length: n }, (_, r) => l2normalise(data.slice(r * dim, (r + 1) * dim)));
    out.dispose();
    if (rows.some((v) => !v.every(Number.isFinite)))
      throw new RecError('ENCODER_UNAVAILABLE', `the ONNX model in ${dir} produced non-finite values`);
    return rows;
  };
  const dim = (await run(['dimension probe']))[0]!.length;
  return {
    id: modelId(dir),
    dim,
    async encode(texts: readonly string[]): Promise<Float32Array[]> {
      const vectors = new Array<Float32Array>(texts.length);
      // character length is a fair proxy of token length for padding purposes
      for (const batch of planBatches(
        texts.map((t) => t.length),
        { maxBatch: batchSize, maxTokens: batchSize * 512 },
      )) {
        // a blank text has no tokens at all in tokenizers without [CLS]/[SEP]: mean pooling over
        // nothing is NaN; encode it like the default encoder does, as "."
        const rows = await run(batch.map((i) => (texts[i]!.trim() ? texts[i]! : '.')));
        batch.forEach((i, r) => {
          vectors[i] = rows[r]!;
        });
      }
      return vectors;
    },
    close: () => extractor.dispose(),
  };
}
