/**
 * One gradient worker of the sequential model's data-parallel training: holds a SeqNet over the
 * shared parameters and computes the loss and gradient of the slice of each batch it is sent into
 * its own shared gradient buffers. It never writes the parameters; the main thread sums the slices
 * in a fixed order and applies Adam between steps (protocol in ./parallel.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type Example, SeqNet } from './model.ts';
import type { GradWorkerInit, StepReply, StepRequest } from './parallel.ts';

const init = workerData as GradWorkerInit;
const port = parentPort!;
const net = new SeqNet(init.shape, init.params, {
  text: init.text,
  warm: init.warm,
  scenario: init.scenario,
});

port.on('message', (msg: StepRequest | { type: 'close' }) => {
  if (msg.type === 'close') {
    port.close();
    return;
  }
  try {
    const batch: Example[] = [];
    for (let q = 0; q < msg.examples.length; q += 2) {
      const pos = msg.examples[q + 1]!;
      batch.push({ hist: init.flat.subarray(msg.examples[q]!, pos), target: init.flat[pos]! });
    }
    const loss = net.lossAndGrad(batch, msg.negatives, init.grads, msg.norm);
    const reply: StepReply = { type: 'step', loss, touched: Int32Array.from(net.lastTouched()) };
    port.postMessage(reply, [reply.touched.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ type: 'error', message: String((e as Error)?.stack ?? e) });
  }
});
port.postMessage({ type: 'ready' });
