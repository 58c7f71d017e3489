/**
 * Data-parallel gradients for the sequential model: the parameters live in SharedArrayBuffers that
 * worker threads read; every batch is cut into fixed contiguous slices, slice 0 computed by the
 * calling thread and slice w by worker w, each into its own gradient buffers; `gather` then sums
 * the workers' gradients into the caller's in worker order. The slices and the order depend only
 * on the batch and the thread count, so a run is deterministic for a given thread count (float
 * sums in another grouping make 1 and 2 threads differ in the last bits).
 */
import type { Worker } from 'node:worker_threads';
import { RecError } from '../core/errors.ts';
import { readyOf, startTsWorker } from '../core/ts-worker.ts';
import { PARAM_NAMES, type ParamName, type SeqParams, type SeqShape } from './model.ts';

/** what a worker is started with (structured-cloned; the Float32Arrays over SharedArrayBuffers are shared) */
export interface GradWorkerInit {
  shape: SeqShape;
  params: SeqParams;
  grads: SeqParams;
  text: Float32Array;
  warm: Uint8Array;
  scenario: Uint16Array;
  /** every training sequence, concatenated */
  flat: Int32Array;
}

export interface StepRequest {
  type: 'step';
  /** (history start, target position) pairs into `flat`: the history is flat[start, position) */
  examples: Int32Array;
  negatives: readonly (readonly number[])[];
  /** size of the whole batch (the loss is its mean) */
  norm: number;
}

export type StepReply =
  | { type: 'step'; loss: number; touched: Int32Array }
  | { type: 'error'; message: string }
  | { type: 'ready' };

/** a copy of the parameters in SharedArrayBuffers */
export function sharedParams(p: SeqParams): SeqParams {
  return Object.fromEntries(
    PARAM_NAMES.map((n) => {
      const a = new Float32Array(new SharedArrayBuffer(p[n].byteLength));
      a.set(p[n]);
      return [n, a];
    }),
  ) as SeqParams;
}

/** the bounds of slice w of a batch of `size` examples cut into `parts` */
export function sliceBounds(size: number, parts: number, w: number): [number, number] {
  return [Math.floor((w * size) / parts), Math.floor(((w + 1) * size) / parts)];
}

interface Pending {
  resolve: (r: { loss: number; touched: Int32Array }) => void;
  reject: (e: Error) => void;
}

export class GradPool {
  private pending: (Pending | undefined)[];
  private failure: Error | undefined;

  private constructor(
    private readonly workers: Worker[],
    /** each worker's gradient buffers (shared with it) */
    private readonly grads: SeqParams[],
  ) {
    this.pending = workers.map(() => undefined);
    workers.forEach((w, i) => {
      w.on('message', (m: StepReply) => {
        const p = this.pending[i];
        this.pending[i] = undefined;
        if (m.type === 'step') p?.resolve(m);
        else if (m.type === 'error')
          p?.reject(new RecError('INTERNAL', `gradient worker ${i}: ${m.message}`));
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new RecError('INTERNAL', `gradient worker ${i} exited with code ${code}`));
      });
    });
  }

  /** starts `count` workers over the shared parameters (see sharedParams) */
  static async start(count: number, init: Omit<GradWorkerInit, 'grads'>): Promise<GradPool> {
    const module = new URL('./grad-worker.ts', import.meta.url);
    const grads = Array.from({ length: count }, () =>
      sharedParams(
        Object.fromEntries(PARAM_NAMES.map((n) => [n, new Float32Array(init.params[n].length)])) as SeqParams,
      ),
    );
    const workers = grads.map((g) => startTsWorker(module, { ...init, grads: g } satisfies GradWorkerInit));
    try {
      await Promise.all(workers.map(readyOf));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new GradPool(workers, grads);
  }

  get size(): number {
    return this.workers.length;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const [i, p] of this.pending.entries()) {
      this.pending[i] = undefined;
      p?.reject(e);
    }
  }

  /** sends worker w its slice; the promise settles when its gradient is in its buffers */
  step(w: number, req: Omit<StepRequest, 'type'>): Promise<{ loss: number; touched: Int32Array }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending[w] = { resolve, reject };
      const msg: StepRequest = { type: 'step', ...req };
      this.workers[w]!.postMessage(msg, [msg.examples.buffer as ArrayBuffer]);
    });
  }

  /**
   * Adds worker w's gradient into `into` and zeroes the worker's buffers: the dense parameters
   * whole, the id rows (`sparse`, width per row) only where the worker touched them.
   */
  gather(w: number, touched: Int32Array, into: SeqParams, sparse: Partial<Record<ParamName, number>>): void {
    const g = this.grads[w]!;
    for (const name of PARAM_NAMES) {
      const src = g[name];
      const dst = into[name];
      const width = sparse[name];
      if (width === undefined) {
        for (let k = 0; k < src.length; k++) dst[k]! += src[k]!;
        src.fill(0);
      } else
        for (const r of touched)
          for (let k = r * width; k < (r + 1) * width; k++) {
            dst[k]! += src[k]!;
            src[k] = 0;
          }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
