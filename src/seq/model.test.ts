import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { itemForward, itemForwardPair } from './forward.ts';
import {
  type Example,
  gaussian,
  initParams,
  PARAM_NAMES,
  type SeqParams,
  SeqScorer,
  type SeqShape,
} from './model.ts';
import type { SeqArch } from './params.ts';
import { netOf } from './sas-net.ts';

function tiny(textDim: number, arch: SeqArch = 'pool', dropout = 0, dim = 6, gate = false) {
  const sas = arch === 'sasrec';
  const shape: SeqShape = {
    numItems: 12,
    numScenarios: 2,
    textDim,
    dim,
    maxLen: 4,
    arch,
    layers: sas ? 2 : 0,
    heads: sas ? 2 : 0,
    ...(gate ? { gate } : {}),
  };
  const g = gaussian(seededRandom(7));
  const params = initParams(shape, 3);
  // move every parameter off its initial symmetric point so every gradient path is exercised
  for (const n of PARAM_NAMES) for (let i = 0; i < params[n].length; i++) params[n][i]! += g() * 0.3;
  const text = Float32Array.from({ length: shape.numItems * textDim }, () => g());
  const warm = Uint8Array.from({ length: 12 }, (_, i) => (i < 10 ? 1 : 0));
  const scenario = Uint16Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  return { net: netOf(shape, params, { text, warm, scenario }, dropout), shape };
}

const zeros = (p: SeqParams) =>
  Object.fromEntries(PARAM_NAMES.map((n) => [n, new Float32Array(p[n].length)])) as SeqParams;

/** compares the analytic gradient of a batch with central differences; the number of values checked */
function checkGradients(
  net: ReturnType<typeof tiny>['net'],
  batch: Example[],
  negatives: readonly (readonly number[])[],
  eps = 1e-2,
): number {
  const grads = zeros(net.params);
  net.lossAndGrad(batch, negatives, grads);
  let checked = 0;
  for (const name of PARAM_NAMES) {
    const p = net.params[name];
    if (p.length === 0) continue;
    for (let k = 0; k < p.length; k += Math.max(1, Math.floor(p.length / 7))) {
      const old = p[k]!;
      p[k] = old + eps;
      const up = net.lossAndGrad(batch, negatives, zeros(net.params));
      p[k] = old - eps;
      const down = net.lossAndGrad(batch, negatives, zeros(net.params));
      const hUp = old + eps - (old - eps);
      p[k] = old;
      const numeric = (up - down) / hUp;
      const analytic = grads[name][k]!;
      assert.ok(
        Math.abs(numeric - analytic) <= 2e-3 + 2e-2 * Math.abs(numeric),
        `${name}[${k}]: analytic ${analytic}, numeric ${numeric}`,
      );
      checked++;
    }
  }
  return checked;
}

describe('sequential model', () => {
  for (const [textDim, arch, dropout, gate] of [
    [5, 'pool', 0, false],
    [0, 'pool', 0, false],
    [5, 'sasrec', 0, false],
    [0, 'sasrec', 0.3, false],
    [5, 'pool', 0, true],
    [5, 'sasrec', 0, true],
  ] as const) {
    it(`analytic gradients match finite differences (${arch}, textDim ${textDim}, dropout ${dropout}${gate ? ', gated' : ''})`, () => {
      const { net } = tiny(textDim, arch, dropout, 6, gate);
      net.dropoutSeed = 11;
      const batch: Example[] = [
        { hist: [1, 2, 3, 4, 5], target: 7, key: 1 },
        { hist: [0, 11], target: 3, key: 2 },
        { hist: [10], target: 8, key: 3 },
      ];
      const negatives = [
        [1, 2, 4, 5, 7, 11],
        [0, 3, 6, 9],
      ];
      // the gate's sigmoid beside the feed-forward's ReLU kinks: a step of 1e-2 crosses one
      assert.ok(checkGradients(net, batch, negatives, gate && arch === 'sasrec' ? 2e-3 : 1e-2) > 40);
    });
  }

  it('a negative drawn more than once counts once per draw (finite differences agree)', () => {
    const { net } = tiny(5);
    const batch: Example[] = [
      { hist: [1, 2, 3, 4, 5], target: 7 },
      { hist: [0, 11], target: 3 },
    ];
    // repeats next to each other, four apart, and equal to a target (skipped)
    const negatives = [
      [2, 2, 4, 5, 2, 11, 7, 7, 1, 2],
      [0, 3, 3, 9, 0],
    ];
    assert.ok(checkGradients(net, batch, negatives) > 40);
  });

  it('an example whose scenario has no negatives adds no loss and no gradient, after any batch', () => {
    const { net } = tiny(5);
    // scenario 1 holds the items i % 3 === 0
    const food = { hist: [1, 2, 4], target: 5 };
    const other = { hist: [1, 2, 4], target: 6 };
    const loneGrads = zeros(net.params);
    const lone = net.lossAndGrad([food], [[1, 2, 4, 7, 8]], loneGrads, 2);
    // a batch with both scenarios' negatives first: nothing of it may carry over
    net.lossAndGrad(
      [food, other],
      [
        [1, 2, 4, 7, 8],
        [0, 3, 9],
      ],
      zeros(net.params),
    );
    const bothGrads = zeros(net.params);
    const both = net.lossAndGrad([food, other], [[1, 2, 4, 7, 8]], bothGrads, 2);
    assert.equal(both, lone);
    for (const n of PARAM_NAMES) assert.deepEqual(bothGrads[n], loneGrads[n], n);
  });

  for (const arch of ['pool', 'sasrec'] as const)
    it(`a batch split over threads in phases (items forward, examples, items backward) gives the whole batch gradient (${arch})`, () => {
      const { net, shape } = tiny(5, arch, arch === 'sasrec' ? 0.2 : 0);
      net.dropoutSeed = 5;
      const batch: Example[] = [
        { hist: [1, 2, 3, 4, 5], target: 7, key: 0 },
        { hist: [0, 11], target: 3, key: 1 },
        { hist: [10], target: 8, key: 2 },
        { hist: [6, 9], target: 2, key: 3 },
      ];
      const negatives = [
        [1, 2, 4, 5, 7, 11],
        [0, 3, 6, 9],
      ];
      const whole = zeros(net.params);
      const wholeLoss = net.lossAndGrad(batch, negatives, whole);
      // two "threads": SeqNets over the same parameters and shared e/h caches, one dh each
      const size = shape.numItems * shape.dim;
      const e = new Float64Array(size);
      const h = new Float64Array(size);
      const dhs = [new Float64Array(size).fill(9), new Float64Array(size).fill(9)];
      const nets = dhs.map((dh) => {
        const n = netOf(shape, net.params, net.inputs, arch === 'sasrec' ? 0.2 : 0);
        n.dropoutSeed = 5;
        n.useCaches(e, h, dh);
        return n;
      });
      const grads = nets.map(() => zeros(net.params));
      // every item of the batch once: histories, targets and the negatives
      const items = [
        ...new Set([...batch.flatMap((x) => [...Array.from(x.hist), x.target]), ...negatives.flat()]),
      ];
      const cut = (n: number, w: number) => [Math.floor((w * n) / 2), Math.floor(((w + 1) * n) / 2)] as const;
      for (const [w, n] of nets.entries()) n.forwardItems(items, ...cut(items.length, w));
      const loss = nets
        .map((n, w) =>
          n.examplesGrad(batch.slice(...cut(batch.length, w)), negatives, grads[w]!, batch.length),
        )
        .reduce((a, b) => a + b);
      for (const [w, n] of nets.entries()) n.backwardItems(items, ...cut(items.length, w), dhs, grads[w]!);
      assert.ok(Math.abs(loss - wholeLoss) < 1e-9, `loss ${loss} vs ${wholeLoss}`);
      for (const name of PARAM_NAMES)
        for (let k = 0; k < whole[name].length; k++) {
          const sum = grads[0]![name][k]! + grads[1]![name][k]!;
          assert.ok(Math.abs(sum - whole[name][k]!) < 1e-5, `${name}[${k}]: ${sum} vs ${whole[name][k]}`);
        }
      assert.throws(() => nets[0]!.useCaches(e, h, new Float64Array(3)), RangeError);
    });

  for (const [arch, gate] of [
    ['pool', false],
    ['sasrec', false],
    ['pool', true],
  ] as const)
    it(`attribution splits a score exactly over the history positions (${arch}${gate ? ', gated' : ''})`, () => {
      const { net } = tiny(5, arch, 0, 6, gate);
      const scorer = new SeqScorer(net);
      const hist = [1, 2, 3, 4, 5, 6];
      const z = scorer.userState(hist, 1)!;
      for (const item of [0, 7, 11]) {
        const parts = scorer.attribution(hist, 1, item);
        assert.equal(parts.length, 4, 'the last maxLen positions');
        const sum = parts.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum + scorer.bias[item]! - scorer.score(z, item)) < 1e-4);
      }
    });

  it('forwarding two items at once gives the rows one at a time gives, to the bit', () => {
    for (const textDim of [5, 0]) {
      // a width of whole blocks of four rows
      const { net, shape } = tiny(textDim, 'pool', 0, 8);
      const size = shape.numItems * shape.dim;
      const one = { e: new Float64Array(size), h: new Float64Array(size) };
      const two = { e: new Float64Array(size), h: new Float64Array(size) };
      // warm and cold items (10, 11), both scenarios
      for (const [i, j] of [
        [0, 1],
        [10, 3],
        [11, 4],
      ] as const) {
        for (const k of [i, j]) itemForward(net, k, one.e, k * shape.dim, one.h, k * shape.dim);
        itemForwardPair(net, i, j, two.e, two.h);
      }
      assert.deepEqual(Array.from(two.e), Array.from(one.e), `textDim ${textDim}: e`);
      assert.deepEqual(Array.from(two.h), Array.from(one.h), `textDim ${textDim}: h`);
    }
  });

  it('a cold item is scored from its text alone, and ids-only models give it no id signal', () => {
    const { net } = tiny(5);
    const scorer = new SeqScorer(net);
    const z = scorer.userState([1, 2, 3], 0)!;
    // item 10 and 11 are cold: no bias, no id embedding, but a text-derived representation
    assert.equal(scorer.bias[10], 0);
    assert.notEqual(scorer.score(z, 10), 0);
    const noText = tiny(0);
    const s0 = new SeqScorer(noText.net);
    // without text a cold item's representation is only its scenario's shift
    const row = s0.table.subarray(11 * 6, 12 * 6);
    const shift = noText.net.params.shift.subarray(0, 6);
    assert.deepEqual(Array.from(row), Array.from(shift));
  });
});

describe('one forward pass for training and scoring', () => {
  it("sasrec: a window's training loss sums the scorer's softmax losses of every prefix", () => {
    for (const textDim of [5, 0]) {
      const { net } = tiny(textDim, 'sasrec');
      const scorer = new SeqScorer(net);
      const negatives = [0, 1].map((c) =>
        Array.from({ length: 12 }, (_, i) => i).filter((i) => net.inputs.scenario[i] === c),
      );
      const seq = [1, 2, 9, 4, 7];
      const loss = net.lossAndGrad([{ hist: seq.slice(0, 4), target: 7 }], negatives, zeros(net.params));
      let want = 0;
      for (let t = 1; t < seq.length; t++) {
        const tgt = seq[t]!;
        const s = net.inputs.scenario[tgt]!;
        const z = scorer.userState(seq.slice(0, t), s)!;
        const scores = negatives[s]!.map((i) => scorer.score(z, i));
        const max = Math.max(...scores);
        want += Math.log(scores.reduce((a, x) => a + Math.exp(x - max), 0)) + max - scorer.score(z, tgt);
      }
      assert.ok(Math.abs(loss - want) < 1e-4, `textDim ${textDim}: ${loss} vs ${want}`);
    }
  });

  it("the training loss of an example is the softmax of the scorer's scores over the same candidates", () => {
    for (const textDim of [5, 0]) {
      const { net } = tiny(textDim);
      const scorer = new SeqScorer(net);
      for (const ex of [
        { hist: [1, 2, 3, 4, 5], target: 7 },
        { hist: [0, 11], target: 3 },
        { hist: [10], target: 8 },
      ]) {
        const s = net.inputs.scenario[ex.target]!;
        // every other item of the target's scenario as a negative: the loss is the full softmax
        const negatives = [0, 1].map((c) =>
          Array.from({ length: 12 }, (_, i) => i).filter((i) => net.inputs.scenario[i] === c),
        );
        const loss = net.lossAndGrad([ex], negatives, zeros(net.params));
        const z = scorer.userState(ex.hist, s)!;
        const scores = negatives[s]!.map((i) => scorer.score(z, i));
        const max = Math.max(...scores);
        const want =
          Math.log(scores.reduce((a, x) => a + Math.exp(x - max), 0)) + max - scorer.score(z, ex.target);
        assert.ok(
          Math.abs(loss - want) < 1e-4,
          `textDim ${textDim}, target ${ex.target}: ${loss} vs ${want}`,
        );
      }
    }
  });
});
