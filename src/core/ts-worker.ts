/**
 * Starts a worker thread running a TypeScript module under tsx (through ./ts-worker.mjs). The
 * module reads its own input from `workerData` (the `module` key is taken).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RecError } from './errors.ts';

export function startTsWorker(module: URL, data: object): Worker {
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), {
    workerData: { ...data, module: module.href },
    // the parent's flags (--import tsx, --test, --cpu-prof ...) are not the worker's business
    execArgv: [],
  });
}

/** resolves on the worker's first `{ type: 'ready' }` message; rejects if it fails or exits first */
export function readyOf(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type?: string }) => {
      if (m?.type !== 'ready') return;
      done();
      resolve();
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    const onExit = (code: number) => {
      done();
      reject(new RecError('INTERNAL', `worker exited with code ${code} before it was ready`));
    };
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}

/** the threads a `threads` option asks for: 0 = one per core */
export function resolveThreads(threads: number): number {
  return threads > 0 ? threads : availableParallelism();
}
