import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../store/sqlite.ts';
import { initParams, PARAM_NAMES, type SeqShape } from './model.ts';
import {
  deleteSeqCheckpoint,
  loadSeqCheckpoint,
  loadSeqModel,
  saveSeqCheckpoint,
  saveSeqModel,
} from './persist.ts';
import type { SeqModel } from './train.ts';

describe('sequential model persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seq-'));
  const store = new SqliteStore(join(dir, 's.db'));
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const shape: SeqShape = { numItems: 9, numScenarios: 2, textDim: 3, dim: 4, maxLen: 5 };
  const model: SeqModel = {
    shape,
    params: initParams(shape, 2),
    whitening: undefined,
    text: Float32Array.from({ length: 27 }, (_, i) => i / 7),
    warm: Uint8Array.from([1, 1, 0, 1, 0, 1, 1, 1, 0]),
    scenario: Uint16Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0]),
    report: {
      epochs: 3,
      bestEpoch: 2,
      validNdcg10: 0.1,
      history: [0.05, 0.1, 0.09],
      losses: [3, 2, 1],
      examples: 10,
      seconds: 1,
      resumedFrom: 0,
    },
  };

  it('round-trips the model under its stamp and ignores it under another', async () => {
    await saveSeqModel(store, 'seq-a', model, 0.5);
    const got = await loadSeqModel(store, 'seq-a');
    assert.ok(got);
    assert.equal(got.featureScale, 0.5);
    for (const n of PARAM_NAMES) assert.deepEqual(got.model.params[n], model.params[n]);
    assert.deepEqual(got.model.text, model.text);
    assert.deepEqual(got.model.warm, model.warm);
    assert.deepEqual(got.model.scenario, model.scenario);
    assert.equal(await loadSeqModel(store, 'seq-b'), undefined);
  });

  it('round-trips a checkpoint, and deletes it', async () => {
    const p = model.params;
    await saveSeqCheckpoint(store, 'seq-a', {
      epoch: 2,
      step: 40,
      params: p,
      m: p,
      v: p,
      best: p,
      bestNdcg: 0.1,
      bestEpoch: 2,
      bad: 0,
      history: [0.05, 0.1],
      losses: [3, 2],
    });
    const c = await loadSeqCheckpoint(store, 'seq-a');
    assert.equal(c?.epoch, 2);
    assert.equal(c?.step, 40);
    assert.deepEqual(c?.best.wo, p.wo);
    assert.equal(await loadSeqCheckpoint(store, 'other'), undefined);
    await deleteSeqCheckpoint(store);
    assert.equal(await loadSeqCheckpoint(store, 'seq-a'), undefined);
    assert.ok(await loadSeqModel(store, 'seq-a'), 'the model itself stays');
  });
});
