import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvalData, FitOptions } from '../types.ts';
import { releaseDataStores, sharedStoreOfData } from './engine-store.ts';

const data = (): EvalData => ({
  dataset: 'tiny',
  itemIds: ['a', 'b', 'c'],
  itemScenario: ['s', 's', 's'],
  itemText: ['', '', ''],
  scenarios: ['s'],
  users: [
    { user: 'u1', train: [{ item: 0, scenario: 's', type: 'purchase', ts: 1 }] },
    { user: 'u2', train: [{ item: 1, scenario: 's', type: 'purchase', ts: 1 }] },
  ],
});
const valid = (target: number): FitOptions['valid'] => [
  {
    query: { user: 'u1', history: [{ item: 0, scenario: 's', type: 'purchase', ts: 1 }], scenario: 's' },
    target,
  },
];

test('models fitted on the same data and cases share one store; other data or cases get their own', async () => {
  const d = data();
  const first = await sharedStoreOfData(d, valid(2));
  assert.equal(await sharedStoreOfData(d, valid(2)), first, 'the next model on the same data reuses it');
  assert.equal((await first.stats()).events, 3);
  // other validation targets: another store, and the kept one is closed
  const other = await sharedStoreOfData(d, valid(1));
  assert.notEqual(other, first);
  await assert.rejects(first.stats());
  // equal content but another data object (another fold): its own store
  const again = await sharedStoreOfData(data(), valid(1));
  assert.notEqual(again, other);
  await releaseDataStores();
  await assert.rejects(again.stats());
  // nothing kept: releasing again is harmless
  await releaseDataStores();
});
