import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pseudoValidCases } from './pseudo-valid.ts';
import type { EvalData, EvalInteraction } from './types.ts';

const FK = new URL('../../../shared/data/food-kitchen/', import.meta.url);

/** the first `n` users of train_overlap.txt (mixed food-kitchen sequences) plus food-only users */
function foodKitchenSlice(n: number): EvalData {
  const firstKitchen = 8661;
  const users: EvalData['users'] = [];
  const read = (file: string, prefix: string, limit: number) => {
    const lines = readFileSync(new URL(file, FK), 'utf8').trim().split('\n').slice(0, limit);
    for (const line of lines) {
      const [uid, items] = line.split('\t');
      const train: EvalInteraction[] = items!.split(',').map((id, ts) => {
        const item = Number(id);
        return { item, scenario: item < firstKitchen ? 'food' : 'kitchen', type: 'purchase', ts };
      });
      users.push({ user: `${prefix}${uid}`, train });
    }
  };
  read('train_overlap.txt', 'o', n);
  read('train_A.txt', 'a', 50);
  const numItems = 36298;
  return {
    dataset: 'food-kitchen',
    itemIds: Array.from({ length: numItems }, (_, i) => String(i)),
    itemScenario: Array.from({ length: numItems }, (_, i) => (i < firstKitchen ? 'food' : 'kitchen')),
    itemText: Array.from({ length: numItems }, () => ''),
    scenarios: ['food', 'kitchen'],
    users,
  };
}

test('pseudo-valid cases: the last item of sampled cross-scenario training users, removed from their training', () => {
  const data = foodKitchenSlice(400);
  const { cases, data: trained } = pseudoValidCases(data, 150, 42);
  assert.equal(cases.length, 150);
  const byUser = new Map(data.users.map((u) => [u.user, u.train]));
  const trainedBy = new Map(trained.users.map((u) => [u.user, u.train]));
  for (const c of cases) {
    const original = byUser.get(c.query.user)!;
    // the target is the user's last item, in its own scenario, and never in what the models train on
    assert.equal(c.target, original[original.length - 1]!.item);
    assert.equal(c.query.scenario, trained.itemScenario[c.target]);
    assert.deepEqual(c.query.history, original.slice(0, -1));
    assert.deepEqual(trainedBy.get(c.query.user), c.query.history);
    assert.ok(!c.query.history.some((e) => e.item === c.target));
    // like every valid and test user: history in the target scenario and in the other one
    assert.ok(c.query.history.some((e) => e.scenario === c.query.scenario));
    assert.ok(c.query.history.some((e) => e.scenario !== c.query.scenario));
  }
  // the food-only users and the users not sampled keep their whole sequence
  const sampled = new Set(cases.map((c) => c.query.user));
  for (const u of data.users)
    if (!sampled.has(u.user)) assert.equal(trainedBy.get(u.user), u.train, `${u.user} must be untouched`);
  assert.ok(cases.every((c) => c.query.user.startsWith('o')));
  // both target scenarios occur, and the sample is seeded
  assert.ok(
    cases.some((c) => c.query.scenario === 'food') && cases.some((c) => c.query.scenario === 'kitchen'),
  );
  assert.deepEqual(
    pseudoValidCases(data, 150, 42).cases.map((c) => c.query.user),
    cases.map((c) => c.query.user),
  );
  assert.notDeepEqual(
    pseudoValidCases(data, 150, 7).cases.map((c) => c.query.user),
    cases.map((c) => c.query.user),
  );
});

test('pseudo-valid cases: none on single-scenario data, and the data come back unchanged', () => {
  const data = foodKitchenSlice(20);
  const single: EvalData = { ...data, scenarios: ['food'] };
  const r = pseudoValidCases(single, 100, 1);
  assert.equal(r.cases.length, 0);
  assert.equal(r.data, single);
  assert.equal(pseudoValidCases(data, 0, 1).data, data);
});
