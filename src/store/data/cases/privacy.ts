/** Erasing a user: their rows everywhere, and nobody else's. */
import assert from 'node:assert/strict';
import type { Case } from '../../suite.ts';
import type { DataStore } from '../types.ts';
import { ev, item, T0 } from './fixtures.ts';

export function privacyCases(test: Case<DataStore>): void {
  test("erases a user's impressions and attributions with them, and nobody else's", async (s) => {
    const shown = (id: string, user: string) => ({
      id,
      user,
      scenario: 'shop',
      ts: T0,
      modelVersion: 'm',
      items: [{ item: 'a', position: 0, score: 1 }],
    });
    await s.events.add([ev('1', 'u1', 'a', 'shop', T0), ev('2', 'u10', 'a', 'shop', T0)]);
    await s.impressions.add([shown('r1', 'u1'), shown('r2', 'u10')]);
    const a = { item: 'a', type: 'click', ts: T0 };
    await s.impressions.attribute([
      { event: '1', impression: 'r1', user: 'u1', ...a },
      { event: '2', impression: 'r2', user: 'u10', ...a },
    ]);
    // the event, the user row, the impression and the attribution
    assert.equal(await s.deleteUser('u1'), 4);
    assert.equal(await s.impressions.get('r1'), undefined);
    assert.equal((await s.impressions.attributionsOf(['r1'])).length, 0);
    assert.notEqual(await s.impressions.get('r2'), undefined);
    assert.equal((await s.impressions.attributionsOf(['r2'])).length, 1);
  });

  test("erases a deleted user's rows, the user as a followable item, and nobody else's", async (s) => {
    await s.items.upsert([item('a', 'shop'), item('user:u1', 'social'), item('user:u10', 'social')]);
    await s.events.add([
      ev('1', 'u1', 'a', 'shop', T0),
      ev('2', 'u10', 'a', 'shop', T0),
      ev('3', 'u10', 'user:u1', 'social', T0, { type: 'follow' }),
      ev('4', 'u1', 'user:u10', 'social', T0, { type: 'follow' }),
    ]);
    await s.users.upsert([{ id: 'u1', attributes: { age: 30 } }]);
    // 2 own events, the user row, the follow of them, the item user:u1
    assert.equal(await s.deleteUser('u1'), 5);
    assert.equal((await s.events.ofUser('u1')).length, 0);
    assert.equal(await s.users.get('u1'), undefined);
    assert.equal(await s.items.get('user:u1'), undefined);
    assert.deepEqual(
      (await s.events.ofUser('u10')).map((e) => e.id),
      ['2'],
    );
    assert.notEqual(await s.items.get('user:u10'), undefined);
    assert.notEqual(await s.users.get('u10'), undefined);
    assert.equal(await s.deleteUser('u1'), 0);
  });
}
