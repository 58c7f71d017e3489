/**
 * The attribute graphs built on a thread of their own (./train-graphs.ts, `attributeGraphsAside`):
 * one graph per engagement order it is sent, posted back as they are built.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildAttrGraph } from '../model/attr.ts';
import type { AttrWorkerInit } from './train-graphs.ts';

const init = workerData as AttrWorkerInit;
const port = parentPort!;
try {
  const graphs = init.engagements.map((e) => buildAttrGraph(init.tokens, init.scenario, e, init.opts));
  const buffers = graphs.flatMap((g) => (g ? [g.offsets.buffer, g.items.buffer, g.weights.buffer] : []));
  port.postMessage({ type: 'graphs', graphs }, buffers as ArrayBuffer[]);
} catch (e) {
  port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
