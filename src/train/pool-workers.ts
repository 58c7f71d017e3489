/**
 * The ranker fit's candidate pools, and its full-ranking check, on several threads. Both are
 * independent per valid case, so the cases are cut into fixed contiguous chunks: chunk 0 is done
 * by the calling thread, chunk w by worker w over its own copy of the scoring model, and the chunks
 * are joined in order: the result is the same, bit for bit, as one thread's.
 */
import type { Worker } from 'node:worker_threads';
import { RecError } from '../core/errors.ts';
import { nextMessage, readyOf, sliceBounds, startTsWorker } from '../core/ts-worker.ts';
import type { RankerWeights, ScoringModel } from '../model/scoring.ts';
import type { SeqShape } from '../seq/model.ts';
import { fullRankNdcg } from './fit/objective.ts';
import { buildPools, type Pool, refinePools, type ValidCase } from './fit/pools.ts';

/** the scoring model as a worker receives it: plain data, the sequential model as its parameters */
export interface PoolWorkerInit {
  model: Omit<ScoringModel, 'seq'>;
  seq?: {
    /** the model, or each model of the ensemble */
    members: {
      shape: SeqShape;
      params: Record<string, Float32Array>;
      text: Float32Array;
      warm: Uint8Array;
      scenario: Uint16Array;
    }[];
    scale: number;
    fused: boolean;
  };
}

export type PoolRequest =
  | { type: 'build'; ranker: RankerWeights; cases: ValidCase[]; per: number; decays: number[] }
  | {
      type: 'refine';
      ranker: RankerWeights;
      cases: ValidCase[];
      items: number[][];
      /** each pool's own rows (see Pool.own) */
      own: number[];
      extra: number;
    }
  /** fullRankNdcg of the cases, each at its weight sets */
  | {
      type: 'check';
      ranker: RankerWeights;
      cases: ValidCase[];
      weights: readonly (readonly (readonly number[])[])[];
    };

export type PoolReply =
  | { type: 'pools'; pools: Pool[][] }
  | { type: 'scores'; scores: number[][] }
  | { type: 'error'; message: string };

export class PoolWorkers {
  private constructor(private readonly workers: Worker[]) {}

  /** `count` workers, each with a copy of the model (the ranker of each request is sent with it) */
  static async start(m: ScoringModel, count: number): Promise<PoolWorkers> {
    const { seq, ...model } = m;
    const init: PoolWorkerInit = {
      model,
      ...(seq
        ? {
            seq: {
              members: seq.scorer.members.map((w) => ({
                shape: w.shape,
                params: w.params,
                text: w.inputs.text,
                warm: w.inputs.warm,
                scenario: w.inputs.scenario,
              })),
              scale: seq.scale,
              fused: seq.fused,
            },
          }
        : {}),
    };
    const module = new URL('./pool-worker.ts', import.meta.url);
    const workers = Array.from({ length: count }, () => startTsWorker(module, init));
    try {
      await Promise.all(workers.map(readyOf));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new PoolWorkers(workers);
  }

  private async ask<T extends Exclude<PoolReply, { type: 'error' }>>(
    w: Worker,
    req: PoolRequest,
  ): Promise<T> {
    const reply = nextMessage<PoolReply>(w, 'pool worker');
    w.postMessage(req);
    const r = await reply;
    if (r.type === 'error') throw new RecError('INTERNAL', `pool worker: ${r.message}`);
    return r as T;
  }

  /**
   * `n` cases cut into a chunk per thread: chunk 0 computed on this thread by `local` (told the
   * number of parts), chunk w + 1 sent to worker w as `remote` builds its request.
   */
  private async split<
    T,
    R extends Exclude<PoolReply, { type: 'error' }> = { type: 'pools'; pools: Pool[][] },
  >(
    n: number,
    remote: (from: number, to: number) => PoolRequest,
    local: (from: number, to: number, parts: number) => T,
    signal?: AbortSignal,
  ): Promise<{ mine: T; theirs: R[] }> {
    const parts = this.workers.length + 1;
    const jobs = this.workers.map((w, i) => this.ask<R>(w, remote(...sliceBounds(n, parts, i + 1))));
    const mine = local(...sliceBounds(n, parts, 0), parts);
    const theirs = await Promise.all(jobs);
    signal?.throwIfAborted();
    return { mine, theirs };
  }

  /** as buildPools (at `m.ranker`), with the cases shared between this thread and the workers */
  async build(
    m: ScoringModel,
    cases: readonly ValidCase[],
    per: number,
    decays: readonly number[],
    signal?: AbortSignal,
    onCase?: (done: number, total: number) => void,
  ): Promise<Pool[][]> {
    const { mine, theirs } = await this.split(
      cases.length,
      (from, to) => ({
        type: 'build',
        ranker: m.ranker,
        cases: cases.slice(from, to),
        per,
        decays: [...decays],
      }),
      // this thread's chunk stands for the whole in the progress report
      (from, to, parts) =>
        buildPools(m, cases.slice(from, to), per, decays, signal, (d, t) => onCase?.(d * parts, t * parts)),
      signal,
    );
    return decays.map((_, di) => [...mine[di]!, ...theirs.flatMap((p) => p.pools[di]!)]);
  }

  /** as refinePools (around `m.ranker`), with the cases shared between this thread and the workers */
  async refine(
    m: ScoringModel,
    cases: readonly ValidCase[],
    pools: readonly Pick<Pool, 'items' | 'own'>[],
    extra: number,
    signal?: AbortSignal,
    onCase?: (done: number, total: number) => void,
  ): Promise<Pool[]> {
    const { mine, theirs } = await this.split(
      cases.length,
      (from, to) => ({
        type: 'refine',
        ranker: m.ranker,
        cases: cases.slice(from, to),
        items: pools.slice(from, to).map((p) => p.items),
        own: pools.slice(from, to).map((p) => p.own),
        extra,
      }),
      (from, to, parts) =>
        refinePools(m, cases.slice(from, to), pools.slice(from, to), extra, signal, (d, t) =>
          onCase?.(d * parts, t * parts),
        ),
      signal,
    );
    return [...mine, ...theirs.flatMap((p) => p.pools[0]!)];
  }

  /** as fullRankNdcg (at `m`'s decay), with the cases shared between this thread and the workers */
  async check(
    m: ScoringModel,
    cases: readonly ValidCase[],
    weights: readonly (readonly (readonly number[])[])[],
    signal?: AbortSignal,
    onCase?: (done: number, total: number) => void,
  ): Promise<number[][]> {
    const { mine, theirs } = await this.split<number[][], { type: 'scores'; scores: number[][] }>(
      cases.length,
      (from, to) => ({
        type: 'check',
        ranker: m.ranker,
        cases: cases.slice(from, to),
        weights: weights.slice(from, to),
      }),
      (from, to, parts) =>
        fullRankNdcg(m, cases.slice(from, to), weights.slice(from, to), signal, (d, t) =>
          onCase?.(d * parts, t * parts),
        ),
      signal,
    );
    return [...mine, ...theirs.flatMap((r) => r.scores)];
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
