/**
 * The ensemble of sequential models: its score is the mean of its models', its explanation the mean
 * of theirs, it is saved and loaded whole, and it has as many models as fit the softmax budget.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../store/sqlite.ts';
import { EnsembleScorer, memberSeed, membersFor, scorerOfModels, scorerOfWeights } from './ensemble.ts';
import { initParams, PARAM_NAMES, SeqScorer, type SeqShape } from './model.ts';
import { positionsOf } from './negatives.ts';
import { loadSeqModel, saveSeqModel } from './persist.ts';
import { type SeqModel, scorerOf } from './train.ts';

const shape: SeqShape = {
  numItems: 12,
  numScenarios: 2,
  textDim: 3,
  dim: 4,
  maxLen: 5,
  arch: 'pool',
  layers: 0,
  heads: 0,
};
const modelOf = (seed: number): SeqModel => {
  const params = initParams(shape, seed);
  // initial biases are 0: give each model its own, so the mean of the biases is tested too
  params.bias.forEach((_, i) => {
    params.bias[i] = Math.sin(seed * 13 + i);
  });
  return {
    shape,
    params,
    whitening: undefined,
    text: Float32Array.from({ length: 36 }, (_, i) => Math.cos(i + seed) / 3),
    warm: Uint8Array.from({ length: 12 }, (_, i) => (i % 5 === 4 ? 0 : 1)),
    scenario: Uint16Array.from({ length: 12 }, (_, i) => i % 2),
    report: {
      epochs: 2,
      bestEpoch: 2,
      validNdcg10: 0.1,
      history: [0.05, 0.1],
      losses: [2, 1],
      examples: 10,
      seconds: 1,
      resumedFrom: 0,
      averagedEpochs: 1,
    },
  };
};
const models = [modelOf(2), modelOf(3), modelOf(5)];
const hist = [0, 3, 6, 7];

describe('an ensemble of sequential models', () => {
  it("scores the mean of its models' scores, and explains with the mean of their parts", () => {
    const ens = scorerOfModels(models);
    assert.ok(ens instanceof EnsembleScorer);
    const alone = models.map(scorerOf);
    const z = ens.userState(hist, 1)!;
    assert.equal(z.length, 3 * shape.dim);
    for (let item = 0; item < shape.numItems; item++) {
      const each = alone.map((s) => s.score(s.userState(hist, 1)!, item));
      const mean = each.reduce((a, b) => a + b, 0) / each.length;
      assert.ok(Math.abs(ens.score(z, item) - mean) < 1e-5, `item ${item}: ${ens.score(z, item)} vs ${mean}`);
      // the parts sum to the score less the mean bias, as one model's do
      const parts = ens.attribution(hist, 1, item);
      const bias = models.reduce((a, m) => a + m.params.bias[item]! * m.warm[item]!, 0) / models.length;
      const sum = parts.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (ens.score(z, item) - bias)) < 1e-4, `item ${item}: parts ${sum}`);
    }
    assert.equal(ens.userState([], 1), undefined, 'no state for an empty history');
  });

  it('is a lone model where it has one, and the workers rebuild the same scores from its weights', () => {
    assert.ok(scorerOfModels([models[0]!]) instanceof SeqScorer);
    const ens = scorerOfModels(models);
    const again = scorerOfWeights(ens.members);
    const z = ens.userState(hist, 0)!;
    const z2 = again.userState(hist, 0)!;
    for (let item = 0; item < shape.numItems; item++) assert.equal(again.score(z2, item), ens.score(z, item));
  });

  it('is saved and loaded whole, and not at all where a model is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-ens-'));
    const store = new SqliteStore(join(dir, 's.db'));
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await saveSeqModel(store, 'seq-e', models, 0.25, 'ens');
    const got = await loadSeqModel(store, 'seq-e', 'ens');
    assert.ok(got);
    assert.equal(got.models.length, 3);
    assert.equal(got.featureScale, 0.25);
    got.models.forEach((m, k) => {
      for (const n of PARAM_NAMES) assert.deepEqual(m.params[n], models[k]!.params[n], `model ${k} ${n}`);
    });
    assert.equal(got.model, got.models[0]);
    // a lone model under the same prefix replaces it: one model comes back
    await saveSeqModel(store, 'seq-e', models[1]!, 0.5, 'ens');
    assert.equal((await loadSeqModel(store, 'seq-e', 'ens'))?.models.length, 1);
    // an ensemble whose second model is gone does not load
    await saveSeqModel(store, 'seq-f', models, 0.25, 'ens2');
    await store.blobs.delete(
      'model',
      (await store.blobs.keys('model')).filter((k) => k.startsWith('ens2.m1.')),
    );
    assert.equal(await loadSeqModel(store, 'seq-f', 'ens2'), undefined);
  });

  it('has as many models as fit the softmax budget together, at least one, at most `members`', () => {
    const opts = { negatives: 1024, softmaxBudget: 150_000_000, members: 4 };
    // Scientific's 34,300 positions: 4 fit (35 million candidate scores each)
    assert.equal(membersFor(opts, 34_300), 4);
    assert.equal(membersFor({ ...opts, members: 2 }, 34_300), 2);
    // Beauty's 131,600: one; food-kitchen's 350,000 (the negatives already cut to the budget): one
    assert.equal(membersFor(opts, 131_600), 1);
    assert.equal(membersFor(opts, 350_000), 1);
    assert.equal(membersFor(opts, 0), 4);
    assert.equal(positionsOf([[1, 2, 3], [4], [], [5, 6]]), 3);
    assert.equal(memberSeed(42, 0), 42, 'the first model is the lone model');
    assert.notEqual(memberSeed(42, 1), 42);
  });
});
