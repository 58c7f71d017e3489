/**
 * Data-parallel gradients for the sequential model. The parameters and the batch's item caches
 * (e, h, and one dh per thread) live in SharedArrayBuffers; thread 0 is the caller, thread w
 * worker w. A batch runs in three phases, each cut into fixed contiguous shares, with a barrier
 * (a message round trip) between them:
 *   1. forward:  each thread computes e and h of its share of the batch's items (the union of
 *                histories, targets and the targets' scenarios' negatives);
 *   2. examples: each thread its share of the examples: loss, the dense gradient into its own
 *                gradient buffers, the item rows' gradient into its own dh;
 *   3. backward: each thread the item backward of its share of the items, dh summed over the
 *                threads in order;
 *   4. update:   each thread the Adam step of its share of the parameter values (./adam.ts), the
 *                gradient of each the sum of the threads' gradients in thread order.
 * So every item is
 * forwarded and backpropagated once per batch, whatever the thread count (splitting the examples
 * alone made each thread redo the shared negatives' and items' work: 1.3 x the arithmetic at 2
 * threads on scientific). The shares and the order depend only on the batch and the thread count,
 * so a run is deterministic for a given thread count (float sums grouped another way make 1 and 2
 * threads differ in the last bits).
 */
import type { Worker } from 'node:worker_threads';
import { RecError } from '../core/errors.ts';
import { readyOf, startTsWorker } from '../core/ts-worker.ts';
import type { AdamSettings } from './adam.ts';
import { PARAM_NAMES, type SeqParams, type SeqShape } from './params.ts';

/** what a worker is started with (structured-cloned; the Float32Arrays over SharedArrayBuffers are shared) */
export interface GradWorkerInit {
  /** this worker's thread number (1..threads-1; the caller is 0) */
  index: number;
  shape: SeqShape;
  params: SeqParams;
  /** Adam's moments (shared: each thread updates its share) */
  m: SeqParams;
  v: SeqParams;
  adam: AdamSettings;
  /** every thread's gradient buffers, the caller's first (this worker's at `index`) */
  grads: SeqParams[];
  caches: ItemCaches;
  text: Float32Array;
  warm: Uint8Array;
  scenario: Uint16Array;
  /** every training sequence, concatenated */
  flat: Int32Array;
  /** training dropout rate (sasrec) */
  dropout: number;
}

/** the batch's item caches, numItems x dim each, shared by all threads */
export interface ItemCaches {
  e: Float64Array;
  h: Float64Array;
  /** one per thread, the caller's first */
  dhs: Float64Array[];
}

/** phase 1 of a batch, with the worker's shares of it */
export interface ForwardRequest {
  type: 'forward';
  /** every item of the batch, each once */
  items: Int32Array;
  /** this worker's share of `items` */
  itemFrom: number;
  itemTo: number;
  /** (history start, target position) pairs into `flat` of this worker's examples */
  examples: Int32Array;
  negatives: readonly (readonly number[])[];
  /** size of the whole batch (the loss is its mean) */
  norm: number;
  /** the batch's dropout seed (sasrec) */
  dropoutSeed: number;
}

export type StepRequest =
  | ForwardRequest
  | { type: 'examples' }
  | { type: 'backward' }
  /** phase 4: Adam step `step` (1-based) of the batch */
  | { type: 'update'; step: number; lr: number };

export type StepReply =
  | { type: 'forward' }
  | { type: 'examples'; loss: number }
  | { type: 'backward' }
  | { type: 'update' }
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

const sharedF64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(n * 8));

interface Pending {
  resolve: (r: StepReply) => void;
  reject: (e: Error) => void;
}

export class GradPool {
  private pending: (Pending | undefined)[];
  private failure: Error | undefined;

  private constructor(
    private readonly workers: Worker[],
    /** every thread's gradient buffers (shared), the caller's first */
    readonly grads: SeqParams[],
    /** the item caches; the caller uses dhs[0] */
    readonly caches: ItemCaches,
  ) {
    this.pending = workers.map(() => undefined);
    workers.forEach((w, i) => {
      w.on('message', (m: StepReply) => {
        const p = this.pending[i];
        this.pending[i] = undefined;
        if (m.type === 'error') p?.reject(new RecError('INTERNAL', `gradient worker ${i}: ${m.message}`));
        else p?.resolve(m);
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new RecError('INTERNAL', `gradient worker ${i} exited with code ${code}`));
      });
    });
  }

  /**
   * starts `count` workers over the shared parameters, moments and caller's gradient buffers (see
   * sharedParams)
   */
  static async start(
    count: number,
    { callerGrads, ...init }: Omit<GradWorkerInit, 'grads' | 'caches' | 'index'> & { callerGrads: SeqParams },
  ): Promise<GradPool> {
    const module = new URL('./grad-worker.ts', import.meta.url);
    const grads = [
      callerGrads,
      ...Array.from({ length: count }, () =>
        sharedParams(
          Object.fromEntries(
            PARAM_NAMES.map((n) => [n, new Float32Array(init.params[n].length)]),
          ) as SeqParams,
        ),
      ),
    ];
    const size = init.shape.numItems * init.shape.dim;
    const caches: ItemCaches = {
      e: sharedF64(size),
      h: sharedF64(size),
      dhs: Array.from({ length: count + 1 }, () => sharedF64(size)),
    };
    const workers = Array.from({ length: count }, (_, w) =>
      startTsWorker(module, { ...init, grads, caches, index: w + 1 } satisfies GradWorkerInit),
    );
    try {
      await Promise.all(workers.map(readyOf));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new GradPool(workers, grads, caches);
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

  /** starts a phase of the batch in worker w; the promise settles when the worker has done it */
  phase(w: number, req: StepRequest): Promise<StepReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending[w] = { resolve, reject };
      this.workers[w]!.postMessage(req);
    });
  }

  /** the phase in every worker, `mine` (the caller's share) meanwhile; the workers' replies */
  async all<T>(req: (w: number) => StepRequest, mine: () => T): Promise<{ mine: T; replies: StepReply[] }> {
    const jobs = this.workers.map((_, w) => this.phase(w, req(w)));
    // the caller's share must not leave the workers' promises unobserved if it throws
    let own: T;
    try {
      own = mine();
    } catch (e) {
      await Promise.allSettled(jobs);
      throw e;
    }
    return { mine: own, replies: await Promise.all(jobs) };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
