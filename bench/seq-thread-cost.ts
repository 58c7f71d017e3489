/**
 * CPU seconds of the sequential model's batch gradient (SeqNet.lossAndGrad) on fixed batches of a
 * real dataset, in the main thread and in a worker thread, alone or at the same time: isolates
 * what makes the same work cost more in one thread than in another.
 *   node --import tsx bench/seq-thread-cost.ts --dataset scientific [--batches 40] [--parts 2]
 *     [--shared] [--sab-grads] [--runs whole,main,worker,both,pingpong,pingpong-serial]
 * --parts 2: each call computes half of every batch's examples (main: the first half, worker: the
 * second), as the first 2-thread training did; `whole` = whole batches in the main thread;
 * `pingpong` = one message per batch with the main thread's half meanwhile (the training loop's
 * pattern), `-serial` after it. --shared / --sab-grads: parameters / gradients in
 * SharedArrayBuffers. Each thread reports its own CPU seconds (/proc/thread-self/schedstat) and
 * the items its calls touched (each call forwards and backpropagates every item it touches, so
 * halves touch more in total than wholes: the cause of the 2-thread slowdown, see
 * docs/results.md). Prints numbers; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { seededRandom } from '../src/core/rng.ts';
import { nextMessage, readyOf, startTsWorker } from '../src/core/ts-worker.ts';
import { type Example, initParams, SeqNet, type SeqParams, type SeqShape } from '../src/seq/model.ts';
import { sharedParams } from '../src/seq/parallel.ts';

interface Job {
  shape: SeqShape;
  params: SeqParams;
  text: Float32Array;
  warm: Uint8Array;
  scenario: Uint16Array;
  /** per batch: the examples' (history, target) and the per-scenario negatives */
  batches: { hist: Int32Array[]; target: Int32Array; negatives: number[][] }[];
  /** the part of every batch this thread computes: [from, to) of parts */
  part: [number, number];
  sabGrads: boolean;
}

/** CPU seconds this thread has used (schedstat: nanoseconds on a CPU) */
function threadCpu(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
}

function gradsOf(job: Job): SeqParams {
  return Object.fromEntries(
    Object.entries(job.params).map(([k, v]) => [
      k,
      job.sabGrads ? new Float32Array(new SharedArrayBuffer(v.byteLength)) : new Float32Array(v.length),
    ]),
  ) as SeqParams;
}

function one(net: SeqNet, grads: SeqParams, b: Job['batches'][number], part: [number, number]): number {
  const from = Math.floor((part[0] * b.hist.length) / part[1]);
  const to = Math.floor(((part[0] + 1) * b.hist.length) / part[1]);
  const batch: Example[] = b.hist.slice(from, to).map((hist, q) => ({ hist, target: b.target[from + q]! }));
  return net.lossAndGrad(batch, b.negatives, grads, b.hist.length);
}

function run(
  job: Job,
  part: [number, number] = job.part,
): { cpu: number; wall: number; loss: number; touched: number } {
  const net = new SeqNet(job.shape, job.params, { text: job.text, warm: job.warm, scenario: job.scenario });
  const grads = Object.fromEntries(
    Object.entries(job.params).map(([k, v]) => [
      k,
      job.sabGrads ? new Float32Array(new SharedArrayBuffer(v.byteLength)) : new Float32Array(v.length),
    ]),
  ) as SeqParams;
  let touched = 0;
  const c0 = threadCpu();
  const t0 = performance.now();
  let loss = 0;
  for (const b of job.batches) {
    const from = Math.floor((part[0] * b.hist.length) / part[1]);
    const to = Math.floor(((part[0] + 1) * b.hist.length) / part[1]);
    const batch: Example[] = b.hist.slice(from, to).map((hist, q) => ({ hist, target: b.target[from + q]! }));
    loss += net.lossAndGrad(batch, b.negatives, grads, b.hist.length);
    touched += net.lastTouched().length;
  }
  return { cpu: threadCpu() - c0, wall: (performance.now() - t0) / 1000, loss, touched };
}

if (!isMainThread) {
  const port = parentPort!;
  const job = workerData as Job;
  const state = { net: undefined as SeqNet | undefined, grads: undefined as SeqParams | undefined, cpu: 0 };
  port.on('message', (m: { type: string }) => {
    if (m.type === 'one') {
      const { b, part } = m as unknown as { b: number; part: [number, number] };
      state.net ??= new SeqNet(job.shape, job.params, {
        text: job.text,
        warm: job.warm,
        scenario: job.scenario,
      });
      state.grads ??= gradsOf(job);
      const c0 = threadCpu();
      const loss = one(state.net, state.grads, job.batches[b]!, part);
      state.cpu += threadCpu() - c0;
      port.postMessage({ type: 'one', loss, cpu: state.cpu });
    } else if (m.type === 'run')
      port.postMessage({
        type: 'done',
        ...run(workerData as Job, (m as unknown as { part: [number, number] }).part),
      });
    else port.close();
  });
  port.postMessage({ type: 'ready' });
} else {
  const { values: a } = parseArgs({
    options: {
      dataset: { type: 'string', default: 'scientific' },
      db: { type: 'string' },
      batches: { type: 'string', default: '60' },
      runs: { type: 'string', default: 'main,worker,main,worker,both' },
      shared: { type: 'boolean', default: false },
      'sab-grads': { type: 'boolean', default: false },
      parts: { type: 'string', default: '1' },
    },
  });
  const { loadItemVectors } = await import('../src/encode/catalog.ts');
  const { loadEvalData } = await import('../src/eval/dataset.ts');
  const { seqDataOf } = await import('../src/eval/models/seqrec.ts');
  const { DEFAULT_SEQ_OPTIONS, prepareInputs } = await import('../src/seq/train.ts');
  const { SqliteStore } = await import('../src/store/sqlite.ts');
  const dataset = a.dataset as 'scientific';
  const store = new SqliteStore(a.db ?? join('.cache', `${dataset}.db`));
  const v = await loadItemVectors(store, 'use-lite@0.2.0');
  const set = await loadEvalData(store, dataset, {
    seed: 42,
    itemVectors: {
      encoder: 'use-lite@0.2.0',
      vectors: new Map(v.ids.map((id, r) => [id, v.vectors.subarray(r * v.dim, (r + 1) * v.dim)])),
    },
  });
  await store.close();
  const data = seqDataOf(set.data, { valid: [], seed: 42, objective: () => 0 });
  const opts = DEFAULT_SEQ_OPTIONS;
  const { shape, text, warm } = prepareInputs(data, opts);
  const plain = initParams(shape, 42);
  const params = a.shared ? sharedParams(plain) : plain;
  const rnd = seededRandom(7);
  const scenarioItems: number[][] = Array.from({ length: data.numScenarios }, () => []);
  data.itemScenario.forEach((s, i) => {
    scenarioItems[s]!.push(i);
  });
  const seqs = data.sequences.filter((s) => s.length > 1);
  const batches: Job['batches'] = [];
  for (let b = 0; b < Number(a.batches); b++) {
    const hist: Int32Array[] = [];
    const target = new Int32Array(opts.batchSize);
    for (let q = 0; q < opts.batchSize; q++) {
      const s = seqs[Math.floor(rnd() * seqs.length)]!;
      const pos = 1 + Math.floor(rnd() * (s.length - 1));
      hist.push(Int32Array.from(s.slice(Math.max(0, pos - opts.maxLen), pos)));
      target[q] = s[pos]!;
    }
    const negatives = scenarioItems.map((items) =>
      Array.from({ length: opts.negatives }, () => items[Math.floor(rnd() * items.length)]!),
    );
    batches.push({ hist, target, negatives });
  }
  const parts = Number(a.parts);
  const job: Job = {
    shape,
    params,
    text,
    warm,
    scenario: data.itemScenario,
    batches,
    part: [0, parts],
    sabGrads: a['sab-grads']!,
  };
  console.log(
    `${dataset}: ${shape.numItems} items, dim ${shape.dim}, text ${shape.textDim}, ${batches.length} batches of ${opts.batchSize}, params ${a.shared ? 'shared' : 'plain'}; node ${process.version} ${process.execArgv.join(' ')}`,
  );
  const worker = startTsWorker(new URL(import.meta.url), job);
  await readyOf(worker);
  const inWorker = async (part: [number, number]) => {
    const done = nextMessage<{ type: string; cpu: number; wall: number; loss: number; touched: number }>(
      worker,
      'bench worker',
      (m) => m.type === 'done',
    );
    worker.postMessage({ type: 'run', part });
    return done;
  };
  const fmt = (r: { cpu: number; wall: number; loss: number; touched: number }) =>
    `CPU ${r.cpu.toFixed(2)} s wall ${r.wall.toFixed(2)} s (loss ${r.loss.toFixed(4)}, ${r.touched} items touched)`;
  const last: [number, number] = [parts - 1, parts];
  for (const what of a.runs!.split(',')) {
    if (what === 'main') console.log(`main alone:   ${fmt(run(job))}`);
    else if (what === 'worker') console.log(`worker alone: ${fmt(await inWorker(last))}`);
    else if (what === 'whole') console.log(`main, whole batches: ${fmt(run(job, [0, 1]))}`);
    else if (what === 'pingpong' || what === 'pingpong-serial') {
      // the training loop's pattern: one message per batch, the caller's part meanwhile (or after)
      const net = new SeqNet(job.shape, job.params, {
        text: job.text,
        warm: job.warm,
        scenario: job.scenario,
      });
      const grads = gradsOf(job);
      let mine = 0;
      let theirs = 0;
      let loss = 0;
      const t0 = performance.now();
      for (let b = 0; b < job.batches.length; b++) {
        const reply = nextMessage<{ type: string; loss: number; cpu: number }>(
          worker,
          'bench worker',
          (m) => m.type === 'one',
        );
        worker.postMessage({ type: 'one', b, part: last });
        if (what === 'pingpong-serial') await reply;
        const c0 = threadCpu();
        loss += one(net, grads, job.batches[b]!, job.part);
        mine += threadCpu() - c0;
        const r = await reply;
        loss += r.loss;
        theirs = r.cpu;
      }
      console.log(
        `${what}: main CPU ${mine.toFixed(2)} s, worker CPU ${theirs.toFixed(2)} s, wall ${((performance.now() - t0) / 1000).toFixed(2)} s (loss ${loss.toFixed(4)})`,
      );
    } else if (what === 'both') {
      const w = inWorker(last);
      const m = run(job);
      console.log(`both: main ${fmt(m)}; worker ${fmt(await w)}`);
    }
  }
  worker.postMessage({ type: 'close' });
}
