/**
 * One gradient worker of the sequential model's data-parallel training: holds a SeqNet over the
 * shared parameters and item caches and runs its share of each phase of a batch (forward its
 * items, its examples, backward its items) into its own gradient buffers and dh, then the Adam
 * step of its share of the parameter values once every thread's gradient is in (protocol in
 * ./parallel.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { adamStep } from './adam.ts';
import type { Example } from './net.ts';
import type { ForwardRequest, GradWorkerInit, StepReply, StepRequest } from './parallel.ts';
import { netOf } from './sas-net.ts';

const init = workerData as GradWorkerInit;
const port = parentPort!;
const net = netOf(
  init.shape,
  init.params,
  { text: init.text, warm: init.warm, scenario: init.scenario },
  init.dropout,
);
net.useCaches(init.caches.e, init.caches.h, init.caches.dhs[init.index]!);
const grads = init.grads[init.index]!;
const threads = init.grads.length;
/** the batch being computed (set by its forward phase) */
let step: ForwardRequest | undefined;

function run(msg: StepRequest): StepReply {
  if (msg.type === 'forward') {
    step = msg;
    net.dropoutSeed = msg.dropoutSeed;
    net.forwardItems(msg.items, msg.itemFrom, msg.itemTo);
    return { type: 'forward' };
  }
  if (!step) throw new Error(`${msg.type} before forward`);
  if (msg.type === 'examples') {
    const batch: Example[] = [];
    for (let q = 0; q < step.examples.length; q += 2) {
      const pos = step.examples[q + 1]!;
      batch.push({ hist: init.flat.subarray(step.examples[q]!, pos), target: init.flat[pos]!, key: pos });
    }
    return { type: 'examples', loss: net.examplesGrad(batch, step.negatives, grads, step.norm) };
  }
  if (msg.type === 'backward') {
    net.backwardItems(step.items, step.itemFrom, step.itemTo, init.caches.dhs, grads);
    return { type: 'backward' };
  }
  const { params, m, v, adam, warm, index } = init;
  adamStep({ ...adam, lr: msg.lr }, params, m, v, init.grads, step.items, warm, msg.step, index, threads);
  step = undefined;
  return { type: 'update' };
}

port.on('message', (msg: StepRequest | { type: 'close' }) => {
  if (msg.type === 'close') {
    port.close();
    return;
  }
  try {
    port.postMessage(run(msg));
  } catch (e) {
    port.postMessage({ type: 'error', message: String((e as Error)?.stack ?? e) });
  }
});
port.postMessage({ type: 'ready' });
