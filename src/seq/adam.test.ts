import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { type AdamSettings, adamStep } from './adam.ts';
import { gaussian, initParams, PARAM_NAMES, type SeqParams, type SeqShape } from './params.ts';

const shape: SeqShape = {
  numItems: 9,
  numScenarios: 2,
  textDim: 3,
  dim: 4,
  maxLen: 3,
  arch: 'pool',
  layers: 0,
  heads: 0,
};
const settings: AdamSettings = { lr: 0.01, l2: 0.1, frozen: ['scale'], dim: shape.dim };
const warm = Uint8Array.from({ length: 9 }, (_, i) => (i === 5 ? 0 : 1));
const rows = [3, 5, 0, 8, 1];

function filled(seed: number, scale: number): SeqParams {
  const g = gaussian(seededRandom(seed));
  const p = initParams(shape, seed);
  for (const n of PARAM_NAMES) for (let k = 0; k < p[n].length; k++) p[n][k] = g() * scale;
  return p;
}
const copy = (p: SeqParams) =>
  Object.fromEntries(PARAM_NAMES.map((n) => [n, Float32Array.from(p[n])])) as SeqParams;
function absolute(p: SeqParams): SeqParams {
  for (const n of PARAM_NAMES) p[n] = p[n].map(Math.abs);
  return p;
}
const state = () => ({
  params: filled(1, 1),
  m: filled(2, 0.01),
  v: absolute(filled(3, 0.001)),
  grads: [filled(4, 1), filled(5, 1)],
});
const dump = (s: ReturnType<typeof state>) =>
  [s.params, s.m, s.v, ...s.grads].map((p) => PARAM_NAMES.map((n) => Array.from(p[n])));

describe('adamStep', () => {
  it('cut into parts (one per thread) gives the bits of the whole step', () => {
    const whole = state();
    adamStep(settings, whole.params, whole.m, whole.v, whole.grads, rows, warm, 7);
    for (const parts of [2, 3]) {
      const cut = state();
      for (let part = 0; part < parts; part++)
        adamStep(settings, cut.params, cut.m, cut.v, cut.grads, rows, warm, 7, part, parts);
      assert.deepEqual(dump(cut), dump(whole), `${parts} parts`);
    }
  });

  it("sums the threads' gradients in order as Float32, and zeroes them", () => {
    const two = state();
    const one = state();
    const sum = copy(one.grads[0]!);
    for (const n of PARAM_NAMES) for (let k = 0; k < sum[n].length; k++) sum[n][k]! += one.grads[1]![n][k]!;
    adamStep(settings, two.params, two.m, two.v, two.grads, rows, warm, 2);
    adamStep(settings, one.params, one.m, one.v, [sum], rows, warm, 2);
    assert.deepEqual(dump(two).slice(0, 3), dump(one).slice(0, 3));
    assert.ok(
      two.grads.every((g) => g.wo.every((x) => x === 0) && g.emb.subarray(12, 16).every((x) => x === 0)),
    );
  });

  it('updates the dense parameters and the warm touched id rows only; frozen ones stay', () => {
    const s = state();
    const before = copy(s.params);
    adamStep(settings, s.params, s.m, s.v, s.grads, rows, warm, 1);
    const row = (p: SeqParams, r: number) => Array.from(p.emb.subarray(r * 4, (r + 1) * 4));
    for (let r = 0; r < 9; r++) {
      const moved = row(s.params, r).some((x, k) => x !== row(before, r)[k]);
      assert.equal(moved, rows.includes(r) && warm[r] === 1, `emb row ${r}`);
      assert.equal(s.params.bias[r] !== before.bias[r], rows.includes(r) && warm[r] === 1, `bias ${r}`);
    }
    assert.deepEqual(Array.from(s.params.scale), Array.from(before.scale));
    assert.ok(s.grads[0]!.scale.every((x) => x === 0));
    assert.ok(Array.from(s.params.wo).every((x, k) => x !== before.wo[k]));
  });
});
