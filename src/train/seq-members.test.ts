/**
 * `fusionrec train`'s ensemble of sequential models: the first model is the lone model, each other
 * has its own seed, and an interrupted ensemble resumes at the model it was training.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { PARAM_NAMES } from '../seq/model.ts';
import { positionsOf } from '../seq/negatives.ts';
import { DEFAULT_SEQ_OPTIONS, type SeqOptions, type SeqTrainData, trainSeq } from '../seq/train.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { deleteSeqParts, trainSeqMembers } from './seq-members.ts';

/** 40 items; each sequence mostly steps to the next item, so there is something to learn */
function data(): SeqTrainData {
  const rnd = seededRandom(9);
  const seq = () => {
    const s = [Math.floor(rnd() * 40)];
    while (s.length < 6) s.push(rnd() < 0.8 ? (s.at(-1)! + 1) % 40 : Math.floor(rnd() * 40));
    return s;
  };
  const sequences = Array.from({ length: 200 }, seq);
  const valid = Array.from({ length: 60 }, () => {
    const s = seq();
    return { hist: s.slice(0, -1), target: s.at(-1)! };
  });
  return { numItems: 40, itemScenario: new Uint16Array(40), numScenarios: 1, sequences, valid };
}

describe('the ensemble of sequential models in training', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seq-members-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const d = data();
  // a budget of two models' softmax work
  const opts: SeqOptions = {
    ...DEFAULT_SEQ_OPTIONS,
    dim: 8,
    textDim: 0,
    negatives: 16,
    softmaxBudget: positionsOf(d.sequences) * 16 * 2,
    members: 4,
    epochs: 3,
    patience: 5,
    validCases: 60,
    seed: 3,
    threads: 1,
  };

  it('trains as many models as the budget holds; the first is the lone model, the second its own', async () => {
    const store = new SqliteStore(join(dir, 'a.db'));
    try {
      const models = await trainSeqMembers(store, 'seq-x', d, opts, {});
      assert.equal(models.length, 2);
      const lone = await trainSeq(d, opts);
      for (const n of PARAM_NAMES) assert.deepEqual(models[0]!.params[n], lone.params[n], n);
      assert.notDeepEqual(models[1]!.params.emb, lone.params.emb);
      const r = models[0]!.report;
      assert.equal(r.members, 2);
      assert.ok(r.ensembleValidNdcg10 !== undefined && r.ensembleValidNdcg10 > 0);
      // the finished models wait under seq-part until the ensemble is saved
      assert.ok((await store.blobs.keys('model')).some((k) => k.startsWith('seq-part.')));
      await deleteSeqParts(store);
      assert.ok(!(await store.blobs.keys('model')).some((k) => k.startsWith('seq-part.')));
      // a budget of one model: one, as before the ensemble
      const one = await trainSeqMembers(store, 'seq-y', d, { ...opts, members: 1 }, {});
      assert.equal(one.length, 1);
      assert.equal(one[0]!.report.members, undefined);
    } finally {
      await store.close();
    }
  });

  it('resumes an interrupted ensemble at the model it was training, to the same models', async () => {
    const store = new SqliteStore(join(dir, 'b.db'));
    try {
      const full = await trainSeqMembers(store, 'seq-z', d, opts, {});
      await deleteSeqParts(store);
      const ac = new AbortController();
      await assert.rejects(
        trainSeqMembers(store, 'seq-z', d, opts, {
          signal: ac.signal,
          onProgress: (_d, _n, label) => {
            if (label.startsWith('seq model 2/2: seq epoch 2')) ac.abort();
          },
        }),
      );
      const labels: string[] = [];
      const resumed = await trainSeqMembers(store, 'seq-z', d, opts, {
        onProgress: (_d, _n, label) => labels.push(label),
      });
      assert.ok(
        !labels.some((l) => l.startsWith('seq model 1/2')),
        'the finished first model is not trained again',
      );
      assert.equal(resumed[1]!.report.resumedFrom, 1, 'the second resumes from its epoch checkpoint');
      for (const k of [0, 1])
        for (const n of PARAM_NAMES)
          assert.deepEqual(resumed[k]!.params[n], full[k]!.params[n], `model ${k} ${n}`);
    } finally {
      await store.close();
    }
  });
});
