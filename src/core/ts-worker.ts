/**
 * Starts a worker thread running a project module named by its source URL (`./x.ts` next to the
 * caller). The module reads its own input from `workerData` (the `module` key is taken).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RecError } from './errors.ts';

/** whether this code is the compiled JavaScript in dist/ rather than the sources under tsx */
const COMPILED = import.meta.url.endsWith('.js');

/**
 * Compiled (dist/), the worker runs the module's `.js` twin directly. From the sources, it runs
 * ./ts-worker.mjs, which registers tsx and imports the module: a worker does not inherit the
 * TypeScript loader of the thread that starts it.
 */
export function startTsWorker(module: URL, data: object): Worker {
  // the parent's flags (--import tsx, --test, --cpu-prof ...) are not the worker's business
  if (COMPILED)
    return new Worker(new URL(module.href.replace(/\.ts$/, '.js')), { workerData: data, execArgv: [] });
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), {
    workerData: { ...data, module: module.href },
    execArgv: [],
  });
}

/**
 * The worker's next message that `accept` takes; rejects if the worker fails or exits first
 * (`what` names it in that error).
 */
export function nextMessage<T>(w: Worker, what: string, accept: (m: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (!accept(m)) return;
      done();
      resolve(m);
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    const onExit = (code: number) => {
      done();
      reject(new RecError('INTERNAL', `${what} exited with code ${code}`));
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

/** resolves on the worker's first `{ type: 'ready' }` message; rejects if it fails or exits first */
export async function readyOf(w: Worker): Promise<void> {
  await nextMessage<{ type?: string }>(w, 'worker (before it was ready)', (m) => m?.type === 'ready');
}

/** the threads a `threads` option asks for: 0 = one per core */
export function resolveThreads(threads: number): number {
  return threads > 0 ? threads : availableParallelism();
}

/** [from, to) of part w of `size` things cut into `parts` contiguous parts (thread w's share) */
export function sliceBounds(size: number, parts: number, w: number): [number, number] {
  return [Math.floor((w * size) / parts), Math.floor(((w + 1) * size) / parts)];
}
