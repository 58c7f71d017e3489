/**
 * The graphs that need no tuned setting (./train-graphs.ts, `graphStage`), built on a thread of
 * their own while the item graphs are tuned and built: posted back once built.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type SideInit, sideGraphs } from './train-graphs.ts';

const port = parentPort!;
try {
  port.postMessage({ type: 'graphs', graphs: sideGraphs(workerData as SideInit) });
} catch (e) {
  port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
