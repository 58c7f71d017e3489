/**
 * Next-item training of the sequential model: every position of every training sequence predicts
 * its item from the (at most maxLen) items before it (pool: one example per position; sasrec: one
 * example per window of maxLen positions, all predicted at once under the causal mask); sampled softmax against negatives drawn
 * uniformly from the target's scenario (shared by the batch); Adam (lazy on the id rows a batch
 * touches); early stopping on NDCG@10 of valid cases (full ranking in the target scenario, history
 * masked). Seeded and deterministic for a given thread count: with `threads` > 1 every batch's
 * gradient is computed in fixed shares by the calling thread and worker threads over shared
 * parameters and item caches (items forward, examples, items backward: each item once per batch),
 * and each thread applies Adam (./adam.ts) to its share of the values, the threads' gradients
 * summed in a fixed order (./parallel.ts).
 * Interruptible: the abort signal is checked between batches; an interrupted epoch is discarded
 * and `onEpoch` checkpoints (taken at each epoch boundary) resume the run.
 */
import { RecError } from '../core/errors.ts';
import { seededRandom, seededSample } from '../core/rng.ts';
import { resolveThreads, sliceBounds } from '../core/ts-worker.ts';
import { type AdamSettings, adamStep } from './adam.ts';
import { drawNegatives, negativesFor, positionsOf } from './negatives.ts';
import type { Example } from './net.ts';
import { GradPool, sharedParams } from './parallel.ts';
import { addInto, clone, initParams, meanOf, type SeqParams, type SeqShape, zerosLike } from './params.ts';
import { netOf } from './sas-net.ts';
import { SeqScorer, validNdcg } from './scorer.ts';
import {
  DEFAULT_SEQ_OPTIONS,
  type SeqHooks,
  type SeqModel,
  type SeqOptions,
  type SeqTrainData,
} from './types.ts';
import { applyWhitening, fitWhitening } from './whiten.ts';

export { scorerOf, validNdcg } from './scorer.ts';
export {
  DEFAULT_SEQ_OPTIONS,
  type SeqCase,
  type SeqHooks,
  type SeqModel,
  type SeqOptions,
  type SeqReport,
  type SeqTrainData,
} from './types.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Epochs of `history` (valid NDCG@10 after each) that did not beat the best before them: the times
 * the learning rate has been cut by `lrDecay` (derived from the history, so a resumed run continues
 * at the rate it stopped at)
 */
export function unimproved(history: readonly number[]): number {
  let best = -1;
  let n = 0;
  for (const x of history) {
    if (x > best) best = x;
    else n++;
  }
  return n;
}

function validateSeqData(data: SeqTrainData, opts: SeqOptions): void {
  if (data.itemScenario.length !== data.numItems)
    throw new RecError('INVALID_INPUT', 'one scenario per item', { field: 'itemScenario' });
  if (data.ids === false && (!data.text || opts.textDim === 0))
    throw new RecError('INVALID_INPUT', 'a model without ids needs item text', { field: 'ids' });
  if (data.text && data.text.data.length !== data.numItems * data.text.dim)
    throw new RecError('INVALID_INPUT', 'text must hold numItems x dim values', { field: 'text' });
  for (const k of ['dim', 'maxLen', 'negatives', 'softmaxBudget', 'batchSize', 'epochs'] as const)
    if (!Number.isInteger(opts[k]) || opts[k] < 1)
      throw new RecError('INVALID_INPUT', `${k} must be a positive integer`, { field: `seq.${k}` });
  const sas = opts.arch === 'sasrec';
  if (sas && (!Number.isInteger(opts.heads) || opts.heads < 1 || opts.dim % opts.heads !== 0))
    throw new RecError('INVALID_INPUT', 'heads must be a positive integer dividing dim', {
      field: 'seq.heads',
    });
  if (sas && (!Number.isInteger(opts.layers) || opts.layers < 1))
    throw new RecError('INVALID_INPUT', 'layers must be a positive integer', { field: 'seq.layers' });
  if (sas && !(opts.dropout >= 0 && opts.dropout < 1))
    throw new RecError('INVALID_INPUT', 'dropout must be in [0, 1)', { field: 'seq.dropout' });
  if (!Number.isInteger(opts.threads) || opts.threads < 0)
    throw new RecError('INVALID_INPUT', 'threads must be 0 (one per core) or a positive integer', {
      field: 'train.threads',
    });
}

/** the fixed inputs of a model for some data: whitening, warm items */
export function prepareInputs(data: SeqTrainData, opts: SeqOptions) {
  const useText = data.text !== undefined && opts.textDim > 0;
  const whitening = useText
    ? fitWhitening(data.text!.data, data.text!.dim, opts.textDim, opts.seed)
    : undefined;
  const text = whitening ? applyWhitening(whitening, data.text!.data) : new Float32Array(0);
  // an item with training events gets an id embedding and a bias (none without ids: text alone)
  const warm = new Uint8Array(data.numItems);
  if (data.ids !== false) for (const s of data.sequences) for (const i of s) warm[i] = 1;
  const shape: SeqShape = {
    numItems: data.numItems,
    numScenarios: data.numScenarios,
    textDim: whitening?.outDim ?? 0,
    dim: opts.dim,
    maxLen: opts.maxLen,
    arch: opts.arch,
    layers: opts.arch === 'sasrec' ? opts.layers : 0,
    heads: opts.arch === 'sasrec' ? opts.heads : 0,
    ...(opts.gate ? { gate: true } : {}),
  };
  return { shape, whitening, text, warm };
}

export async function trainSeq(
  data: SeqTrainData,
  opts: SeqOptions = DEFAULT_SEQ_OPTIONS,
  hooks: SeqHooks = {},
): Promise<SeqModel> {
  validateSeqData(data, opts);
  const t0 = Date.now();
  const { shape, whitening, text, warm } = prepareInputs(data, opts);
  const resume = hooks.resume;
  const threads = resolveThreads(opts.threads);
  const initial = resume ? clone(resume.params) : initParams(shape, opts.seed);
  // worker threads read the parameters while this thread computes its slice: they must be shared
  const params = threads > 1 ? sharedParams(initial) : initial;
  const sas = shape.arch === 'sasrec';
  const net = netOf(shape, params, { text, warm, scenario: data.itemScenario }, opts.dropout);
  // examples: (sequence offset, position) pairs over one flat array
  const lens = data.sequences.map((s) => s.length);
  const flat = new Int32Array(lens.reduce((a, b) => a + b, 0));
  const offs: number[] = [];
  let o = 0;
  for (const s of data.sequences) {
    offs.push(o);
    flat.set(s, o);
    o += s.length;
  }
  // an example's target position; its history is the (at most maxLen) items before it in its
  // sequence. sasrec trains every position of that window at once, so its examples are windows
  // laid back to back from the sequence's end: each position the target of exactly one window.
  const exIdx: number[] = [];
  data.sequences.forEach((s, si) => {
    if (!sas) for (let t = 1; t < s.length; t++) exIdx.push(offs[si]! + t);
    else for (let t = s.length - 1; t > 0; t = Math.max(0, t - opts.maxLen)) exIdx.push(offs[si]! + t);
  });
  // predicted positions (every item after a sequence's first); sasrec: as many windows per batch
  // as make about batchSize of them
  const targets = positionsOf(data.sequences);
  const batchSize = sas
    ? Math.max(1, Math.round((opts.batchSize * exIdx.length) / Math.max(1, targets)))
    : opts.batchSize;
  const perBatch = negativesFor(opts, targets);
  const seqStart = new Int32Array(flat.length);
  data.sequences.forEach((s, si) => {
    seqStart.fill(offs[si]!, offs[si]!, offs[si]! + s.length);
  });
  const scenarioItems: number[][] = Array.from({ length: data.numScenarios }, () => []);
  data.itemScenario.forEach((s, i) => {
    scenarioItems[s]!.push(i);
  });
  const valid = seededSample(data.valid, opts.validCases, opts.seed);
  // worker threads also update their share of the parameters (and so of m and v) after each step
  const shareIf = (p: SeqParams) => (threads > 1 ? sharedParams(p) : p);
  const m = shareIf(resume ? clone(resume.m) : zerosLike(params));
  const v = shareIf(resume ? clone(resume.v) : zerosLike(params));
  const grads = shareIf(zerosLike(params));
  let best = resume ? clone(resume.best) : clone(params);
  let bestNdcg = resume?.bestNdcg ?? -1;
  let bestEpoch = resume?.bestEpoch ?? 0;
  // with averaging, the weights of the epochs from the best to the last, summed
  let tail = opts.average ? clone(resume?.tail ?? best) : undefined;
  let tailCount = resume?.tailCount ?? 0;
  let bad = resume?.bad ?? 0;
  let step = resume?.step ?? 0;
  const history = [...(resume?.history ?? [])];
  const losses = [...(resume?.losses ?? [])];
  const startEpoch = resume?.epoch ?? 0;
  const adam: AdamSettings = {
    lr: opts.lr,
    l2: opts.l2,
    frozen: opts.scenarioAdapt ? [] : ['scale', 'shift', 'query', 'gate', 'gateBias'],
    dim: shape.dim,
  };
  const batchesPerEpoch = Math.ceil(exIdx.length / batchSize);
  const label = (epoch: number) =>
    `seq epoch ${Math.min(epoch + 1, opts.epochs)}/${opts.epochs}${history.length > 0 ? ` (valid ndcg@10 ${history.map((h) => h.toFixed(4)).join(' ')})` : ''}`;
  const pool =
    threads > 1
      ? await GradPool.start(threads - 1, {
          shape,
          params,
          text,
          warm,
          scenario: data.itemScenario,
          flat,
          dropout: opts.dropout,
          m,
          v,
          callerGrads: grads,
          adam,
        })
      : undefined;
  if (pool) net.useCaches(pool.caches.e, pool.caches.h, pool.caches.dhs[0]!);
  const examplesOf = (pairs: Int32Array, from: number, to: number): Example[] => {
    const out: Example[] = [];
    for (let q = from; q < to; q++) {
      const pos = pairs[2 * q + 1]!;
      out.push({ hist: flat.subarray(pairs[2 * q]!, pos), target: flat[pos]!, key: pos });
    }
    return out;
  };
  // the id rows a step touched, each once (each gets one Adam update)
  const rowMark = new Int32Array(shape.numItems);
  let rowStamp = 0;
  /** loss (mean over the batch) and the touched rows; the gradient is left in `grads` */
  const gradStep = async (
    pairs: Int32Array,
    negatives: readonly (readonly number[])[],
  ): Promise<{ loss: number; rows: ArrayLike<number> }> => {
    const n = pairs.length / 2;
    if (!pool) {
      const loss = net.lossAndGrad(examplesOf(pairs, 0, n), negatives, grads);
      return { loss, rows: net.lastTouched() };
    }
    // the batch's items, each once, in first-use order: histories, targets, the targets' scenarios' negatives
    rowStamp++;
    const rows: number[] = [];
    const addRow = (r: number) => {
      if (rowMark[r] !== rowStamp) {
        rowMark[r] = rowStamp;
        rows.push(r);
      }
    };
    const scenarioUsed = new Uint8Array(negatives.length);
    for (let q = 0; q < n; q++) {
      const pos = pairs[2 * q + 1]!;
      for (let k = pairs[2 * q]!; k <= pos; k++) addRow(flat[k]!);
      // the scenarios of the example's targets: its last item (pool), every item after its first (sasrec)
      for (let k = sas ? pairs[2 * q]! + 1 : pos; k <= pos; k++)
        scenarioUsed[data.itemScenario[flat[k]!]!] = 1;
    }
    negatives.forEach((negs, s) => {
      if (scenarioUsed[s] === 1) for (const j of negs) addRow(j);
    });
    const items = Int32Array.from(rows);
    const share = (w: number) => sliceBounds(items.length, threads, w);
    await pool.all(
      (w) => {
        const [itemFrom, itemTo] = share(w + 1);
        const [from, to] = sliceBounds(n, threads, w + 1);
        return {
          type: 'forward',
          items,
          itemFrom,
          itemTo,
          examples: pairs.slice(2 * from, 2 * to),
          negatives,
          norm: n,
          dropoutSeed: net.dropoutSeed,
        };
      },
      () => net.forwardItems(items, ...share(0)),
    );
    const [from, to] = sliceBounds(n, threads, 0);
    const ex = await pool.all(
      () => ({ type: 'examples' }),
      () => net.examplesGrad(examplesOf(pairs, from, to), negatives, grads, n),
    );
    let loss = ex.mine;
    for (const r of ex.replies) if (r.type === 'examples') loss += r.loss;
    await pool.all(
      () => ({ type: 'backward' }),
      () => net.backwardItems(items, ...share(0), pool.caches.dhs, grads),
    );
    return { loss, rows: items };
  };
  try {
    for (let epoch = startEpoch; epoch < opts.epochs && bad < opts.patience; epoch++) {
      adam.lr = opts.lr * opts.lrDecay ** unimproved(history);
      const rnd = seededRandom(opts.seed * 1_000_003 + epoch + 1);
      const order = Int32Array.from(exIdx);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      let lossSum = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        if (b % 8 === 0) {
          await tick();
          hooks.signal?.throwIfAborted();
          hooks.onProgress?.(epoch * batchesPerEpoch + b, opts.epochs * batchesPerEpoch, label(epoch));
        }
        const first = b * batchSize;
        const size = Math.min(order.length, first + batchSize) - first;
        // (history start, target position) per example
        const pairs = new Int32Array(2 * size);
        for (let q = 0; q < size; q++) {
          const pos = order[first + q]!;
          pairs[2 * q] = Math.max(seqStart[pos]!, pos - opts.maxLen);
          pairs[2 * q + 1] = pos;
        }
        const negatives = drawNegatives(scenarioItems, perBatch, rnd);
        net.dropoutSeed = (opts.seed * 7919 + step + 1) >>> 0;
        const { loss, rows } = await gradStep(pairs, negatives);
        lossSum += loss * size;
        step++;
        // the threads' gradients summed in thread order, and the update, each thread on its share
        if (pool)
          await pool.all(
            () => ({ type: 'update', step, lr: adam.lr }),
            () => adamStep(adam, params, m, v, pool.grads, rows, warm, step, 0, threads),
          );
        else adamStep(adam, params, m, v, [grads], rows, warm, step);
      }
      losses.push(lossSum / Math.max(1, order.length));
      const ndcg = validNdcg(new SeqScorer(net), valid, data.itemScenario);
      history.push(ndcg);
      if (ndcg > bestNdcg) {
        bestNdcg = ndcg;
        bestEpoch = epoch + 1;
        best = clone(params);
        if (tail) {
          tail = clone(params);
          tailCount = 1;
        }
        bad = 0;
      } else {
        bad++;
        if (tail) {
          addInto(tail, params);
          tailCount++;
        }
      }
      hooks.onProgress?.((epoch + 1) * batchesPerEpoch, opts.epochs * batchesPerEpoch, label(epoch + 1));
      await hooks.onEpoch?.({
        epoch: epoch + 1,
        step,
        // shared buffers stay with this run; the hook gets (and may keep) plain arrays
        params: pool ? clone(params) : params,
        m: pool ? clone(m) : m,
        v: pool ? clone(v) : v,
        best,
        bestNdcg,
        bestEpoch,
        ...(tail ? { tail, tailCount } : {}),
        bad,
        history,
        losses,
      });
    }
  } finally {
    await pool?.close();
  }
  // the mean of the epochs from the best to the last, where it scores at least as the best on valid
  let kept = best;
  let keptNdcg = bestNdcg;
  let averagedEpochs = 1;
  let averageValidNdcg10: number | undefined;
  if (tail && tailCount > 1) {
    const mean = meanOf(tail, tailCount);
    averageValidNdcg10 = validNdcg(
      new SeqScorer({ shape, params: mean, inputs: { text, warm, scenario: data.itemScenario } }),
      valid,
      data.itemScenario,
    );
    if (averageValidNdcg10 >= bestNdcg) {
      kept = mean;
      keptNdcg = averageValidNdcg10;
      averagedEpochs = tailCount;
    }
  }
  return {
    shape,
    params: kept,
    whitening,
    text,
    warm,
    scenario: data.itemScenario,
    report: {
      epochs: history.length,
      bestEpoch,
      validNdcg10: Math.max(0, keptNdcg),
      averagedEpochs,
      ...(averageValidNdcg10 !== undefined ? { averageValidNdcg10 } : {}),
      history,
      losses,
      examples: exIdx.length,
      negatives: Math.min(perBatch, Math.max(0, ...scenarioItems.map((x) => x.length))),
      seconds: (Date.now() - t0) / 1000,
      resumedFrom: startEpoch,
    },
  };
}
