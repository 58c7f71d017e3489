/**
 * The contract of the store callers receive, beyond what the data and derived suites check:
 * erasing a user reaches both stores at once.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ev, item } from './data/cases/fixtures.ts';
import { type ContractOptions, defineCases } from './suite.ts';
import type { Store } from './types.ts';

const T0 = Date.UTC(2024, 0, 1);

export function storeContract(name: string, open: () => Promise<Store>, opts: ContractOptions = {}): void {
  describe(`Store contract: ${name}`, () => {
    defineCases(open, opts, (test) => {
      test('erases every trace of a deleted user from both stores, and nobody else', async (s) => {
        await s.items.upsert([item('a', 'shop'), item('user:u1', 'social')]);
        await s.events.add([ev('1', 'u1', 'a', 'shop', T0), ev('2', 'u10', 'user:u1', 'social', T0)]);
        await s.users.upsert([{ id: 'u1', attributes: { age: 30 } }]);
        await s.blobs.put('profile', [
          { key: 'u1', value: new Uint8Array([1]) },
          { key: 'u1:shop', value: new Uint8Array([2]) },
          { key: 'u10', value: new Uint8Array([3]) },
        ]);
        await s.blobs.put('vec', [{ key: 'user:u1', value: new Uint8Array([4]) }]);
        // event 1, the user row, event 2 (a follow of them), item user:u1, three blobs
        assert.equal(await s.deleteUser('u1'), 7);
        assert.equal((await s.events.ofUser('u1')).length, 0);
        assert.equal(await s.users.get('u1'), undefined);
        assert.equal(await s.items.get('user:u1'), undefined);
        assert.deepEqual(await s.blobs.keys('profile'), ['u10']);
        assert.equal(await s.blobs.count('vec'), 0);
        assert.equal(await s.events.count(), 0);
        assert.notEqual(await s.users.get('u10'), undefined);
        await s.checkpoint();
        assert.deepEqual(await s.blobs.keys('profile'), ['u10']);
        assert.notEqual(await s.items.get('a'), undefined);
      });
    });
  });
}
