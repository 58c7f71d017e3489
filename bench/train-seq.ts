/**
 * Trains the sequential model (src/seq) on a dataset already imported (and encoded) by
 * `fusionrec eval`, printing valid NDCG@10 per epoch, training time, and the test NDCG@10 of the
 * model alone (full ranking in the target scenario, history masked; a quick check, not the harness).
 *   node --import tsx bench/train-seq.ts --dataset scientific [--db .cache/scientific.db]
 *     [--max-users n] [--threads 1] [--dim 64 --epochs 30 --lr 0.002 --lr-decay 1 --text-dim 128 --negatives 256 ...]
 *     [--arch pool,sasrec --layers 2 --heads 2 --dropout 0.2]
 * --train-users n: train on a seeded sample of n training sequences (a cheaper comparison on a
 * loaded machine; valid and test cases stay those of the whole set).
 * --members n: train n models of each encoder, from the seeds `fusionrec train` gives an
 * ensemble's models, and print the test NDCG@10 of each and of their mean score (the `seq` feature
 * of an ensemble, src/seq/ensemble.ts).
 * --arch: the history encoders to train, one after the other on the same data and seed (a summary
 * line each at the end).
 * --threads: gradient threads (0 = one per core, 1 = single-threaded); compare 1 and 2 on one run
 * pair for the speed-up (the machine is shared, so absolute times move with the load).
 * Each epoch's seconds (its batches and the valid scoring after it) print as it ends, and the
 * summary line ends with a fingerprint of the trained parameters (the first 16 hex digits of a
 * sha256 over them): two builds that train the same model to the bit print the same one.
 * Prints numbers; asserts nothing.
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededSample } from '../src/core/rng.ts';
import { resolveThreads } from '../src/core/ts-worker.ts';
import { loadItemVectors } from '../src/encode/catalog.ts';
import { type DatasetName, loadEvalData } from '../src/eval/dataset.ts';
import { seqDataOf, seqValidOf } from '../src/eval/models/seqrec.ts';
import { memberSeed, scorerOfModels } from '../src/seq/ensemble.ts';
import { PARAM_NAMES, type SeqArch, type SeqParams } from '../src/seq/params.ts';
import { DEFAULT_SEQ_OPTIONS, type SeqModel, scorerOf, trainSeq, validNdcg } from '../src/seq/train.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const { values: a } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'scientific' },
    db: { type: 'string' },
    'max-users': { type: 'string' },
    encoder: { type: 'string', default: 'use-lite@0.2.0' },
    'no-text': { type: 'boolean', default: false },
    'no-scenario-adapt': { type: 'boolean', default: false },
    dim: { type: 'string' },
    'max-len': { type: 'string' },
    'text-dim': { type: 'string' },
    negatives: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    'lr-decay': { type: 'string' },
    l2: { type: 'string' },
    epochs: { type: 'string' },
    patience: { type: 'string' },
    seed: { type: 'string', default: '42' },
    threads: { type: 'string' },
    arch: { type: 'string', default: 'pool' },
    'train-users': { type: 'string' },
    layers: { type: 'string' },
    heads: { type: 'string' },
    dropout: { type: 'string' },
    members: { type: 'string', default: '1' },
  },
});
const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
const dataset = a.dataset as DatasetName;
const store = new SqliteStore(a.db ?? join('.cache', `${dataset}.db`));
const t0 = Date.now();
let itemVectors: Parameters<typeof loadEvalData>[2]['itemVectors'];
if (!a['no-text']) {
  const v = await loadItemVectors(store, a.encoder!);
  if (v.ids.length > 0)
    itemVectors = {
      encoder: a.encoder!,
      vectors: new Map(v.ids.map((id, r) => [id, v.vectors.subarray(r * v.dim, (r + 1) * v.dim)])),
    };
}
const seed = Number(a.seed);
const set = await loadEvalData(store, dataset, {
  seed,
  ...(a['max-users'] ? { maxUsers: Number(a['max-users']) } : {}),
  ...(itemVectors ? { itemVectors } : {}),
});
const valid = set.valid.map((c) => ({ query: c.query, target: c.targets[0]! }));
const all = seqDataOf(set.data, { valid, seed, objective: () => 0 });
const data = a['train-users']
  ? { ...all, sequences: seededSample(all.sequences, Number(a['train-users']), seed) }
  : all;
const opts = {
  ...DEFAULT_SEQ_OPTIONS,
  dim: num(a.dim, DEFAULT_SEQ_OPTIONS.dim),
  maxLen: num(a['max-len'], DEFAULT_SEQ_OPTIONS.maxLen),
  textDim: num(a['text-dim'], DEFAULT_SEQ_OPTIONS.textDim),
  negatives: num(a.negatives, DEFAULT_SEQ_OPTIONS.negatives),
  batchSize: num(a['batch-size'], DEFAULT_SEQ_OPTIONS.batchSize),
  lr: num(a.lr, DEFAULT_SEQ_OPTIONS.lr),
  lrDecay: num(a['lr-decay'], DEFAULT_SEQ_OPTIONS.lrDecay),
  l2: num(a.l2, DEFAULT_SEQ_OPTIONS.l2),
  epochs: num(a.epochs, DEFAULT_SEQ_OPTIONS.epochs),
  patience: num(a.patience, DEFAULT_SEQ_OPTIONS.patience),
  seed,
  scenarioAdapt: !a['no-scenario-adapt'],
  threads: num(a.threads, DEFAULT_SEQ_OPTIONS.threads),
  layers: num(a.layers, DEFAULT_SEQ_OPTIONS.layers),
  heads: num(a.heads, DEFAULT_SEQ_OPTIONS.heads),
  dropout: num(a.dropout, DEFAULT_SEQ_OPTIONS.dropout),
};
const archs = a.arch!.split(',') as SeqArch[];

/** sha256 over every parameter's bytes, in PARAM_NAMES order: equal only for bit-identical models */
function fingerprint(params: SeqParams): string {
  const h = createHash('sha256');
  for (const n of PARAM_NAMES)
    h.update(new Uint8Array(params[n].buffer, params[n].byteOffset, params[n].byteLength));
  return h.digest('hex').slice(0, 16);
}

console.log(
  `${dataset}: ${data.numItems} items, ${data.sequences.length} sequences, text ${data.text ? data.text.dim : 'none'}, load ${((Date.now() - t0) / 1000).toFixed(1)} s; ${JSON.stringify(opts)}`,
);
const summary: string[] = [];
const test = seqValidOf({
  valid: set.test.map((c) => ({ query: c.query, target: c.targets[0]! })),
  seed,
  objective: () => 0,
});
for (const arch of archs) {
  const models: SeqModel[] = [];
  for (let k = 0; k < Number(a.members); k++) models.push(await trainOne(arch, memberSeed(seed, k)));
  if (models.length > 1) {
    const line = `${dataset} ${arch}: the mean score of ${models.length} models, test NDCG@10 ${validNdcg(scorerOfModels(models), test, models[0]!.scenario).toFixed(4)}`;
    console.log(line);
    summary.push(line);
  }
}
console.log(summary.join('\n'));
await store.close();

async function trainOne(arch: SeqArch, seed: number): Promise<SeqModel> {
  const run = { ...opts, arch, seed };
  console.log(`${arch}, seed ${seed}:`);
  let last = '';
  const cpu0 = process.cpuUsage();
  const cpuSeconds = () => {
    const c = process.cpuUsage(cpu0);
    return ((c.user + c.system) / 1e6).toFixed(1);
  };
  let epochStart = performance.now();
  const model = await trainSeq(data, run, {
    onProgress: (_d, _t, label) => {
      if (label !== last) console.log(`  ${label} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      last = label;
    },
    onEpoch: (c) => {
      const now = performance.now();
      console.log(`  epoch ${c.epoch}: ${((now - epochStart) / 1000).toFixed(2)} s`);
      epochStart = now;
    },
  });
  const r = model.report;
  const line = `${dataset} ${arch} seed ${seed}: ${r.examples} examples, ${r.epochs} epochs (best ${r.bestEpoch}), train ${r.seconds.toFixed(1)} s (${resolveThreads(opts.threads)} threads, CPU ${cpuSeconds()} s in this process), valid NDCG@10 ${r.validNdcg10.toFixed(4)}, test NDCG@10 ${validNdcg(scorerOf(model), test, model.scenario).toFixed(4)} (${test.length} cases); load average ${loadavg()[0]!.toFixed(1)}; params ${fingerprint(model.params)}`;
  console.log(line);
  summary.push(line);
  if (data.numScenarios > 1) {
    const scenarios = [...new Set(set.data.itemScenario)].sort();
    for (const [code, name] of scenarios.entries()) {
      const mine = test.filter((c) => model.scenario[c.target] === code);
      console.log(
        `  test NDCG@10 in ${name}: ${validNdcg(scorerOf(model), mine, model.scenario).toFixed(4)} (${mine.length} cases)`,
      );
    }
  }
  return model;
}
