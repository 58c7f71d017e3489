/** The user table: paging by id, lists after a cursor. */
import assert from 'node:assert/strict';
import type { Case } from '../../suite.ts';
import type { DataStore } from '../types.ts';
import { collect } from './fixtures.ts';

export function userCases(test: Case<DataStore>): void {
  test('pages through users by id, and lists a page after a cursor', async (s) => {
    await s.users.upsert([{ id: 'c' }, { id: 'a', attributes: { age: 30 } }, { id: 'b' }]);
    const pages = await collect(s.users.pages({ limit: 2 }));
    assert.deepEqual(
      pages.map((p) => p.map((u) => u.id)),
      [['a', 'b'], ['c']],
    );
    assert.deepEqual(pages[0]![0], { id: 'a', attributes: { age: 30 } });
    assert.deepEqual(
      (await s.users.list({ afterId: 'a', limit: 1 })).map((u) => u.id),
      ['b'],
    );
    assert.equal(await s.users.count(), 3);
    assert.deepEqual(await s.users.get('c'), { id: 'c' });
  });
}
