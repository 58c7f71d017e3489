import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../config/load.ts';
import { DEFAULT_SEQ_OPTIONS } from '../../seq/types.ts';
import type { EvalData, FitOptions } from '../types.ts';
import { seqOptionsFor, trainedSeqModel } from './seqrec.ts';

/** 60 users walking a ring of 30 items: item i is always followed by item i + 1 */
function ring(): EvalData {
  const n = 30;
  const users = Array.from({ length: 60 }, (_, u) => ({
    user: `u${u}`,
    train: Array.from({ length: 8 }, (_, t) => ({ item: (u + t) % n, scenario: 's', type: 'view', ts: t })),
  }));
  return {
    dataset: 'ring',
    itemIds: Array.from({ length: n }, (_, i) => `i${i}`),
    itemScenario: Array.from({ length: n }, () => 's'),
    itemText: Array.from({ length: n }, () => ''),
    scenarios: ['s'],
    users,
  };
}

test('the run-level epoch cap (eval --seq-epochs) bounds the sequential model the engine and seqrec train', async () => {
  const data = ring();
  const valid = data.users.slice(0, 10).map((u) => ({
    query: { user: u.user, history: u.train.slice(0, -1), scenario: 's' },
    target: u.train.at(-1)!.item,
  }));
  const base: FitOptions = { valid, seed: 1, objective: () => 0 };
  assert.equal(seqOptionsFor({ ...base, seqEpochs: 2 }).epochs, 2);
  assert.ok(seqOptionsFor(base).epochs > 2, 'without a cap: the default');
  const model = await trainedSeqModel(data, { ...base, seqEpochs: 1 });
  assert.equal(model.report.epochs, 1);
});

test("the seqrec baseline trains the run's seq section, with the run's seed and epoch cap", () => {
  const base: FitOptions = { valid: [], seed: 7, objective: () => 0 };
  const config = parseConfig({
    seq: { arch: 'sasrec', layers: 1, dim: 32, epochs: 9 },
    train: { threads: 4 },
  });
  const o = seqOptionsFor({ ...base, config, seqEpochs: 3 });
  assert.equal(o.arch, 'sasrec');
  assert.equal(o.layers, 1);
  assert.equal(o.dim, 32);
  assert.equal(o.seed, 7);
  assert.equal(o.epochs, 3, 'the run-level cap wins over the section');
  assert.equal(seqOptionsFor({ ...base, config }).epochs, 9);
  assert.equal(o.threads, 1, 'single-threaded, as the baseline always trained');
  assert.ok(!('enabled' in o));
  // a default config trains exactly the model the baseline trained before it read the config
  assert.deepEqual(seqOptionsFor({ ...base, config: parseConfig({}) }), { ...DEFAULT_SEQ_OPTIONS, seed: 7 });
  assert.deepEqual(seqOptionsFor(base), { ...DEFAULT_SEQ_OPTIONS, seed: 7 });
});
