import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvalData, EvalInteraction } from '../types.ts';
import { MODELS } from './index.ts';

/** ten items; 8 and 9 have no interaction, 8's text vector is item 0's, 9's is orthogonal to all */
function data(): EvalData {
  const dim = 4;
  const vectors = new Float32Array(10 * dim);
  for (let i = 0; i < 10; i++) vectors[i * dim + (i < 8 ? i % 3 : i === 8 ? 0 : 3)] = 1;
  const ev = (item: number, ts: number): EvalInteraction => ({ item, scenario: 's', type: 'purchase', ts });
  const users = Array.from({ length: 40 }, (_, u) => ({
    user: `u${u}`,
    train: [u % 8, (u + 1) % 8, (u + 3) % 8].map((item, t) => ev(item, 1000 * u + t)),
  }));
  return {
    dataset: 'synthetic',
    itemIds: Array.from({ length: 10 }, (_, i) => `i${i}`),
    itemScenario: Array.from({ length: 10 }, () => 's'),
    itemText: Array.from({ length: 10 }, (_, i) => `item ${i}`),
    scenarios: ['s'],
    users,
    itemVectors: { dim, data: vectors, encoder: 'test-encoder' },
  };
}

test('the engine model trains through the pipeline on data held in memory, text vectors included', async () => {
  const d = data();
  const valid = d.users.slice(0, 10).map((u) => ({
    query: { user: u.user, history: u.train.slice(0, -1), scenario: 's' },
    target: u.train.at(-1)!.item,
  }));
  const opts = { valid, seed: 1, objective: () => 0, seqEpochs: 1 };
  const query = {
    user: 'new',
    history: [{ item: 0, scenario: 's', type: 'purchase', ts: 5 }],
    scenario: 's',
  };
  const withText = MODELS.engine!.create();
  const noText = MODELS['engine-notext']!.create();
  try {
    await withText.fit(d, opts);
    await noText.fit(d, opts);
    const a = withText.score(query);
    const b = noText.score(query);
    // the cold item that reads like the history comes first among the cold ones with text, only
    assert.ok(a[8]! > a[9]!, `${a[8]} > ${a[9]}`);
    assert.equal(b[8], b[9]);
    // equal scores rank as the engine ranks them: by catalog index
    assert.deepEqual([...withText.tieOrder!()!], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // the shipped fitting cases: the 10 valid ones, topped up by the 30 other users' held-out last items
    assert.equal(withText.params().fitCases, 40);
    assert.equal(withText.params().heldOutCases, 30);
  } finally {
    await withText.close?.();
    await noText.close?.();
  }
});
