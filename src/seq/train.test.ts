/**
 * The sequential model trained on a real slice of Amazon Scientific (first 2,000 users of the
 * shipped test file, leave-one-out: last item test, second-to-last valid), with item text encoded by
 * the deterministic word-hash encoder of the engine tests (no language model needed).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { wordHashEncoder } from '../../tests/engine-fixture.ts';
import { isRecError } from '../core/errors.ts';
import { seededRandom } from '../core/rng.ts';
import { PARAM_NAMES } from './model.ts';
import { drawNegatives, negativesFor } from './negatives.ts';
import {
  DEFAULT_SEQ_OPTIONS,
  type SeqCase,
  type SeqOptions,
  type SeqTrainData,
  scorerOf,
  trainSeq,
  unimproved,
  validNdcg,
} from './train.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'scientific');
const OPTS: SeqOptions = {
  ...DEFAULT_SEQ_OPTIONS,
  // a constant rate: the tests below set their own where the rate is under test
  lr: 0.002,
  lrDecay: 1,
  dim: 32,
  textDim: 32,
  negatives: 128,
  epochs: 6,
  patience: 2,
  validCases: 500,
  seed: 5,
  threads: 1,
};

async function scientificSlice(users: number) {
  const index = new Map(
    readFileSync(join(DIR, 'Scientific.item2index'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t') as [string, string])
      .map(([asin, i]) => [asin, Number(i)]),
  );
  const numItems = index.size;
  const texts = new Array<string>(numItems).fill('');
  for (const l of readFileSync(join(DIR, 'Scientific.text'), 'utf8').trim().split('\n').slice(1)) {
    const [asin, text] = l.split('\t') as [string, string];
    const i = index.get(asin);
    if (i !== undefined) texts[i] = text;
  }
  const enc = wordHashEncoder(128);
  const vecs = await enc.encode(texts);
  const text = new Float32Array(numItems * 128);
  vecs.forEach((v, i) => {
    text.set(v, i * 128);
  });
  const seqs = readFileSync(join(DIR, 'Scientific.test.inter'), 'utf8')
    .trim()
    .split('\n')
    .slice(1, users + 1)
    .map((l) => {
      const [, hist, target] = l.split('\t') as [string, string, string];
      return [...hist.split(' ').map(Number), Number(target)];
    })
    .filter((s) => s.length >= 3);
  const data: SeqTrainData = {
    numItems,
    itemScenario: new Uint16Array(numItems),
    numScenarios: 1,
    text: { dim: 128, data: text },
    sequences: seqs.map((s) => s.slice(0, -2)),
    valid: seqs.map((s) => ({ hist: s.slice(0, -2), target: s.at(-2)! })),
  };
  const test: SeqCase[] = seqs.map((s) => ({ hist: s.slice(0, -1), target: s.at(-1)! }));
  return { data, test };
}

function popularityNdcg(data: SeqTrainData, cases: readonly SeqCase[]): number {
  const counts = new Float64Array(data.numItems);
  for (const s of data.sequences) for (const i of s) counts[i]! += 1;
  let sum = 0;
  for (const c of cases) {
    const masked = new Set(c.hist);
    let rank = 0;
    for (let i = 0; i < data.numItems; i++)
      if (i !== c.target && !masked.has(i) && counts[i]! >= counts[c.target]!) rank++;
    if (rank < 10) sum += 1 / Math.log2(rank + 2);
  }
  return sum / cases.length;
}

describe('negatives per batch under the softmax budget', () => {
  it('keeps `negatives` within the budget, shrinks them beyond it, never under 64', () => {
    const opts = { negatives: 1024, softmaxBudget: 150_000_000 };
    assert.equal(negativesFor(opts, 100_000), 1024);
    assert.equal(negativesFor(opts, 146_484), 1024);
    assert.equal(negativesFor(opts, 300_000), 500);
    assert.equal(negativesFor(opts, 10_000_000), 64);
    // a smaller `negatives` than the floor stays as asked
    assert.equal(negativesFor({ negatives: 16, softmaxBudget: 1 }, 1_000), 16);
  });
});

describe('the negatives a batch draws', () => {
  const scenarios = [
    Array.from({ length: 50 }, (_, i) => i),
    Array.from({ length: 8 }, (_, i) => 100 + i),
    [],
  ];
  it("draws from each scenario's own items, or gives every item where the scenario has no more", () => {
    const rnd = seededRandom(3);
    const seen = new Set<number>();
    for (let b = 0; b < 200; b++) {
      const [a, small, none] = drawNegatives(scenarios, 10, rnd);
      assert.equal(a!.length, 10);
      for (const j of a!) {
        assert.ok(Number.isInteger(j) && j >= 0 && j < 50, `item ${j} from the first scenario`);
        seen.add(j);
      }
      assert.deepEqual(small, scenarios[1], 'a scenario of 8 items gives all 8 (the exact softmax)');
      assert.deepEqual(none, []);
    }
    assert.equal(seen.size, 50, 'every item of the scenario is drawn in time');
    assert.deepEqual(
      drawNegatives(scenarios, 10, seededRandom(7)),
      drawNegatives(scenarios, 10, seededRandom(7)),
    );
  });
});

describe('sequential model on a real Scientific slice', () => {
  let slice: Awaited<ReturnType<typeof scientificSlice>>;
  before(async () => {
    slice = await scientificSlice(2000);
  });

  it('beats popularity on held-out next items, and scores cold items from their text', async () => {
    const model = await trainSeq(slice.data, OPTS);
    const scorer = scorerOf(model);
    const seq = validNdcg(scorer, slice.test, model.scenario);
    const pop = popularityNdcg(slice.data, slice.test);
    assert.ok(seq > 2 * pop, `seq ${seq.toFixed(4)} vs popularity ${pop.toFixed(4)}`);
    assert.ok(model.report.validNdcg10 > 0);
    // cold items: no training event, no id embedding, no bias; their text still places them
    const cold = Array.from(model.warm.keys()).filter((i) => model.warm[i] === 0);
    assert.ok(cold.length > 100);
    const z = scorer.userState(slice.test[0]!.hist, 0)!;
    const scores = new Set(cold.slice(0, 50).map((i) => scorer.score(z, i)));
    assert.ok(scores.size > 40, 'cold items get distinct, text-derived scores');
    assert.ok(!scores.has(0));
  });

  for (const threads of [1, 2]) {
    it(`is deterministic with ${threads} thread(s): the same seed gives the same weights`, async () => {
      const short = { ...OPTS, epochs: 1, validCases: 100, threads };
      const small = { ...slice.data, sequences: slice.data.sequences.slice(0, 400) };
      const a = await trainSeq(small, short);
      const b = await trainSeq(small, short);
      for (const n of PARAM_NAMES) assert.deepEqual(a.params[n], b.params[n], n);
      const c = await trainSeq(small, { ...short, seed: 6 });
      assert.notDeepEqual(a.params.wt, c.params.wt);
    });

    it(`resumes from an epoch checkpoint to the same weights as an uninterrupted run (${threads} thread(s))`, async () => {
      const small = { ...slice.data, sequences: slice.data.sequences.slice(0, 400) };
      // with weight averaging the checkpoint carries the running sum, which the resume must continue
      for (const average of [false, true]) {
        const opts = { ...OPTS, epochs: 2, patience: 5, validCases: 100, threads, average };
        type Checkpoint = Parameters<NonNullable<Parameters<typeof trainSeq>[2]>['onEpoch'] & object>[0];
        let last: Checkpoint | undefined;
        const full = await trainSeq(small, opts, {
          onEpoch: (c) => {
            last = structuredClone(c);
          },
        });
        const ac = new AbortController();
        let saved: Checkpoint | undefined;
        await assert.rejects(
          trainSeq(small, opts, {
            signal: ac.signal,
            onEpoch: (c) => {
              saved = structuredClone(c);
              ac.abort();
            },
          }),
        );
        assert.equal(saved?.epoch, 1);
        assert.equal(saved?.tail !== undefined, average, `average ${average}: the sum is kept only then`);
        const resumed = await trainSeq(small, opts, { resume: saved });
        assert.equal(resumed.report.resumedFrom, 1);
        assert.equal(resumed.report.averagedEpochs, full.report.averagedEpochs);
        for (const n of PARAM_NAMES)
          assert.deepEqual(resumed.params[n], full.params[n], `${n}, average ${average}`);
        if (average) {
          // resumed after the last epoch (its second epoch scores below its first on this slice),
          // the mean comes from the checkpoint's sum alone
          assert.equal(last?.tailCount, 2);
          const atEnd = await trainSeq(small, opts, { resume: last });
          assert.ok(full.report.averageValidNdcg10 !== undefined);
          assert.equal(atEnd.report.averageValidNdcg10, full.report.averageValidNdcg10);
          for (const n of PARAM_NAMES) assert.deepEqual(atEnd.params[n], full.params[n], n);
        }
      }
    });
  }

  it('serves the mean of the weights from the best epoch to the last where it scores at least as well', async () => {
    const small = { ...slice.data, sequences: slice.data.sequences.slice(0, 600) };
    const kept = new Set<boolean>();
    // two learning rates: on this slice the mean wins at the one and loses at the other
    for (const lr of [0.005, 0.01]) {
      const opts = { ...OPTS, epochs: 8, patience: 3, validCases: 300, lr };
      const snaps: Record<string, Float32Array>[] = [];
      const averaged = await trainSeq(
        small,
        { ...opts, average: true },
        {
          onEpoch: (c) => {
            snaps.push(Object.fromEntries(PARAM_NAMES.map((n) => [n, Float32Array.from(c.params[n])])));
          },
        },
      );
      const r = averaged.report;
      assert.ok(r.bestEpoch < r.epochs, `trained past the best epoch (${r.history.join(' ')})`);
      assert.ok(r.averageValidNdcg10 !== undefined);
      const best = snaps[r.bestEpoch - 1]!;
      kept.add(r.averagedEpochs > 1);
      if (r.averagedEpochs > 1) {
        assert.equal(r.averagedEpochs, r.epochs - r.bestEpoch + 1);
        assert.ok(r.validNdcg10 >= r.history[r.bestEpoch - 1]!);
        for (const n of PARAM_NAMES)
          averaged.params[n].forEach((x, k) => {
            let mean = 0;
            for (let e = r.bestEpoch - 1; e < r.epochs; e++) mean += snaps[e]![n]![k]!;
            mean /= r.averagedEpochs;
            assert.ok(Math.abs(x - mean) < 1e-5 * (1 + Math.abs(mean)), `${n}[${k}] ${x} vs ${mean}`);
          });
      } else {
        assert.ok(r.averageValidNdcg10 < r.validNdcg10);
        for (const n of PARAM_NAMES) assert.deepEqual(averaged.params[n], best[n], n);
      }
      // without averaging: the best epoch's weights, the same run otherwise
      const plain = await trainSeq(small, { ...opts, average: false });
      assert.equal(plain.report.averagedEpochs, 1);
      assert.equal(plain.report.averageValidNdcg10, undefined);
      for (const n of PARAM_NAMES) assert.deepEqual(plain.params[n], best[n], n);
    }
    assert.equal(kept.size, 2, 'both outcomes seen');
  });

  it('cuts the learning rate after each epoch that does not beat the best, on every thread', async () => {
    assert.equal(unimproved([0.1, 0.2, 0.15, 0.18, 0.25, 0.2]), 3);
    assert.equal(unimproved([]), 0);
    const small = { ...slice.data, sequences: slice.data.sequences.slice(0, 600) };
    const snapshot = (p: Record<string, Float32Array>) =>
      Object.fromEntries(PARAM_NAMES.map((n) => [n, Float32Array.from(p[n]!)]));
    for (const threads of [1, 2]) {
      const opts = { ...OPTS, epochs: 6, patience: 6, validCases: 300, lr: 0.01, threads };
      const run = async (lrDecay: number) => {
        const snaps: Record<string, Float32Array>[] = [];
        const r = await trainSeq(
          small,
          { ...opts, lrDecay },
          { onEpoch: (c) => void snaps.push(snapshot(c.params)) },
        );
        return { snaps, history: r.report.history };
      };
      // a cut to almost nothing: after the first epoch that does not improve, no weight moves
      const cut = await run(1e-9);
      const h = cut.history;
      const k = h.findIndex((x, i) => i > 0 && x <= Math.max(...h.slice(0, i)));
      assert.ok(
        k > 0 && k + 1 < h.length,
        `threads ${threads}: an unimproved epoch before the last (${h.join(' ')})`,
      );
      for (const n of PARAM_NAMES) {
        let moved = 0;
        cut.snaps[k + 1]![n]!.forEach((x, j) => {
          moved = Math.max(moved, Math.abs(x - cut.snaps[k]![n]![j]!));
        });
        assert.ok(moved < 1e-6, `threads ${threads}: ${n} moved ${moved} after the cut`);
      }
      // up to that epoch, the run of a constant rate; after it, not
      const constant = await run(1);
      for (const n of PARAM_NAMES)
        assert.deepEqual(cut.snaps[k]![n], constant.snaps[k]![n], `${n} before the cut`);
      assert.notDeepEqual(cut.snaps[k + 1]!.wt, constant.snaps[k + 1]!.wt);
    }
  });

  it('2 threads learn what 1 thread learns: the same valid NDCG@10 up to float rounding', async () => {
    const small = { ...slice.data, sequences: slice.data.sequences.slice(0, 800) };
    const opts = { ...OPTS, epochs: 2, patience: 5, validCases: 300 };
    const one = await trainSeq(small, { ...opts, threads: 1 });
    const two = await trainSeq(small, { ...opts, threads: 2 });
    // the gradient is the same sum grouped differently: weights agree closely, not bit for bit
    let maxDiff = 0;
    for (let k = 0; k < one.params.wt.length; k++)
      maxDiff = Math.max(maxDiff, Math.abs(one.params.wt[k]! - two.params.wt[k]!));
    assert.ok(maxDiff < 1e-3, `wt differs by ${maxDiff}`);
    assert.ok(maxDiff > 0 || one.params.emb.some((x, k) => x !== two.params.emb[k]), 'a real second path');
    assert.ok(
      Math.abs(one.report.validNdcg10 - two.report.validNdcg10) < 0.01,
      `valid NDCG@10 ${one.report.validNdcg10} vs ${two.report.validNdcg10}`,
    );
    assert.deepEqual(
      one.report.losses.map((l) => l.toFixed(3)),
      two.report.losses.map((l) => l.toFixed(3)),
    );
  });

  it('sasrec: beats popularity, deterministic per thread count, 2 threads learn what 1 thread learns', async () => {
    const sas: SeqOptions = { ...OPTS, arch: 'sasrec', layers: 1, heads: 2, dropout: 0.1 };
    const model = await trainSeq(slice.data, { ...sas, epochs: 3 });
    const seq = validNdcg(scorerOf(model), slice.test, model.scenario);
    const pop = popularityNdcg(slice.data, slice.test);
    assert.ok(seq > 2 * pop, `sasrec ${seq.toFixed(4)} vs popularity ${pop.toFixed(4)}`);
    assert.equal(model.shape.arch, 'sasrec');
    const small = { ...slice.data, sequences: slice.data.sequences.slice(0, 400) };
    const opts = { ...sas, epochs: 1, validCases: 100 };
    const one = await trainSeq(small, { ...opts, threads: 1 });
    const again = await trainSeq(small, { ...opts, threads: 1 });
    const two = await trainSeq(small, { ...opts, threads: 2 });
    for (const n of PARAM_NAMES) assert.deepEqual(one.params[n], again.params[n], n);
    let maxDiff = 0;
    for (const n of ['wq', 'w2', 'wt'] as const)
      for (let k = 0; k < one.params[n].length; k++)
        maxDiff = Math.max(maxDiff, Math.abs(one.params[n][k]! - two.params[n][k]!));
    assert.ok(maxDiff < 1e-3, `2 threads differ by ${maxDiff}`);
    assert.equal(one.report.losses[0]!.toFixed(3), two.report.losses[0]!.toFixed(3));
  });

  it('without ids: no id embedding or bias is used or learned, every item is its text', async () => {
    const small = { ...slice.data, sequences: slice.data.sequences.slice(0, 400), ids: false };
    const model = await trainSeq(small, { ...OPTS, epochs: 1, validCases: 100 });
    assert.ok(model.warm.every((w) => w === 0));
    assert.ok(model.params.emb.every((x) => x === 0));
    assert.ok(model.params.bias.every((x) => x === 0));
    // the text projection learned: the model still tells items apart
    const scorer = scorerOf(model);
    const z = scorer.userState(slice.test[0]!.hist, 0)!;
    assert.ok(new Set([0, 1, 2, 3, 4, 5].map((i) => scorer.score(z, i))).size > 4);
    const withIds = await trainSeq({ ...small, ids: true }, { ...OPTS, epochs: 1, validCases: 100 });
    assert.ok(withIds.params.emb.some((x) => x !== 0));
    await assert.rejects(
      trainSeq({ ...small, text: undefined }, OPTS),
      (e) => isRecError(e) && e.code === 'INVALID_INPUT' && e.field === 'ids',
    );
  });

  it('rejects bad options with a code naming the field', async () => {
    await assert.rejects(
      trainSeq(slice.data, { ...OPTS, arch: 'sasrec', heads: 5 }),
      (e) => isRecError(e) && e.code === 'INVALID_INPUT' && e.field === 'seq.heads',
    );
    await assert.rejects(
      trainSeq(slice.data, { ...OPTS, dim: 0 }),
      (e) => isRecError(e) && e.code === 'INVALID_INPUT' && e.field === 'seq.dim',
    );
    await assert.rejects(
      trainSeq(slice.data, { ...OPTS, threads: -1 }),
      (e) => isRecError(e) && e.code === 'INVALID_INPUT' && e.field === 'train.threads',
    );
  });
});
