/**
 * The graphs that need no tuned setting (./train-graphs.ts, `graphStage`), built on a thread of
 * their own while the item graphs are tuned and built: this thread takes the pieces in order
 * (`next`, shared with the caller, which takes what is left once its item graphs are built) and
 * posts back the ones it built.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type SideGraphs, type SideInit, sideTask, sideTasks } from './train-graphs.ts';

const port = parentPort!;
try {
  const x = workerData as SideInit & { next: Int32Array };
  const tasks = sideTasks(x);
  const parts: [number, SideGraphs][] = [];
  for (let k = Atomics.add(x.next, 0, 1); k < tasks.length; k = Atomics.add(x.next, 0, 1))
    parts.push([k, sideTask(x, tasks[k]!)]);
  port.postMessage({ type: 'parts', parts });
} catch (e) {
  port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
