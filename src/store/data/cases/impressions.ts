/** The impression log: idempotent adds, the latest list showing an item, attributions. */
import assert from 'node:assert/strict';
import type { Case } from '../../suite.ts';
import type { DataStore, Impression, ImpressionItem } from '../types.ts';
import { T0 } from './fixtures.ts';

export function impressionCases(test: Case<DataStore>): void {
  test('logs impressions idempotently, finds the latest showing an item, pages by experiment', async (s) => {
    const imp = (id: string, user: string, ts: number, items: string[], extra: Partial<Impression> = {}) => ({
      id,
      user,
      scenario: 'shop',
      ts,
      modelVersion: 'm1',
      items: items.map((item, position): ImpressionItem => ({ item, position, score: 1 - position / 10 })),
      ...extra,
    });
    const first = imp('r1', 'u1', T0, ['a', 'b'], {
      experiment: 'x',
      variant: 'A',
      context: { device: 'tv' },
      randomized: { epsilon: 0.1, ranked: ['a', 'b', 'c'] },
    });
    first.items[1] = { ...first.items[1]!, team: 'B', propensity: 0.25 };
    assert.equal(
      await s.impressions.add([first, imp('r2', 'u1', T0 + 10, ['b', 'c']), imp('r3', 'u2', T0 + 5, ['a'])]),
      3,
    );
    assert.equal(await s.impressions.add([first]), 0);
    assert.deepEqual(await s.impressions.get('r1'), first);
    assert.equal(await s.impressions.get('nope'), undefined);
    // the latest of u1's lists that showed b, within the window; none before it
    assert.equal((await s.impressions.latestShowing('u1', 'b', T0, T0 + 100))?.id, 'r2');
    assert.equal((await s.impressions.latestShowing('u1', 'b', T0, T0 + 9))?.id, 'r1');
    assert.equal((await s.impressions.latestShowing('u1', 'a', T0 + 1, T0 + 100))?.id, undefined);
    assert.equal((await s.impressions.latestShowing('u2', 'b', 0, T0 + 100))?.id, undefined);
    await s.impressions.add(
      Array.from({ length: 5 }, (_, i) =>
        imp(`x${i}`, `u${i}`, T0 + i, ['a'], { experiment: 'x', variant: 'B' }),
      ),
    );
    const seen: string[] = [];
    let after: number | undefined = 0;
    while (after !== undefined) {
      const page = await s.impressions.scan({ experiment: 'x', afterSeq: after, limit: 4 });
      seen.push(...page.impressions.map((i) => i.id));
      after = page.next;
    }
    assert.deepEqual(seen, ['r1', 'x0', 'x1', 'x2', 'x3', 'x4']);
    assert.equal(await s.impressions.count(), 8);
    assert.equal(await s.impressions.count({ experiment: 'x' }), 6);
    const click = { impression: 'r1', user: 'u1', item: 'b', type: 'click', ts: T0 + 1 };
    assert.equal(
      await s.impressions.attribute([
        { event: 'e1', ...click },
        { event: 'e2', ...click },
      ]),
      2,
    );
    assert.equal(await s.impressions.attribute([{ event: 'e1', ...click }]), 0);
    assert.deepEqual((await s.impressions.attributionsOf(['r1', 'r2'])).map((a) => a.event).sort(), [
      'e1',
      'e2',
    ]);
    assert.deepEqual((await s.impressions.attributionsOf([])).length, 0);
  });
}
