/** What spans the store: stats per scenario, scenarios, meta values. */
import assert from 'node:assert/strict';
import type { Case } from '../../suite.ts';
import type { DataStore } from '../types.ts';
import { ev, item, T0 } from './fixtures.ts';

export function storeCases(test: Case<DataStore>): void {
  test('reports stats per scenario with multi-scenario users and events per type', async (s) => {
    await s.scenarios.upsert([{ id: 'news', kind: 'news', eventWeights: {}, allowRepeats: false }]);
    await s.items.upsert([item('a', 'shop'), item('m', 'music')]);
    await s.events.add([
      ev('1', 'u1', 'a', 'shop', T0),
      ev('2', 'u1', 'm', 'music', T0, { type: 'play' }),
      ev('3', 'u2', 'a', 'shop', T0, { type: 'purchase' }),
    ]);
    const st = await s.stats();
    assert.equal(st.items, 2);
    assert.equal(st.users, 2);
    assert.equal(st.events, 3);
    assert.equal(st.multiScenarioUsers, 1);
    assert.deepEqual(st.multiScenarioUsersBySplit, { none: 1 });
    assert.deepEqual(st.eventsByType, { play: 1, purchase: 1, view: 1 });
    assert.deepEqual(
      st.scenarios.map((x) => [x.scenario, x.items, x.users, x.events]),
      [
        ['music', 1, 1, 1],
        ['news', 0, 0, 0],
        ['shop', 1, 2, 2],
      ],
    );
  });

  test('stores scenarios and meta values', async (s) => {
    await s.scenarios.upsert([{ id: 'news', kind: 'news', eventWeights: {}, allowRepeats: false }]);
    await s.scenarios.upsert([{ id: 'news', kind: 'news', eventWeights: { view: 2 }, allowRepeats: true }]);
    assert.deepEqual(await s.scenarios.list(), [
      { id: 'news', kind: 'news', eventWeights: { view: 2 }, allowRepeats: true },
    ]);
    await s.setMeta('m', 'v1');
    await s.setMeta('m', 'v2');
    assert.equal(await s.getMeta('m'), 'v2');
    assert.equal(await s.getMeta('none'), undefined);
  });
}
