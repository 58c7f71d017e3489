/**
 * The contract every Store backend passes. Backends call `storeContract(name, open)` from their own
 * test file; `open` returns a fresh, empty store.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event, Item } from '../core/types.ts';
import type { Store } from './types.ts';

const T0 = Date.UTC(2024, 0, 1);

function ev(
  id: string,
  user: string,
  item: string,
  scenario: string,
  ts: number,
  extra: Partial<Event> = {},
): Event {
  return { id, user, item, scenario, type: 'view', ts, ...extra };
}

function item(id: string, scenario: string, title = id): Item {
  return { id, scenario, title, available: true, tags: ['t'] };
}

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    it('upserts and reads items, in the order asked, skipping unknown ids', async () => {
      const s = await open();
      try {
        await s.items.upsert([item('a', 'shop'), item('b', 'shop'), item('c', 'music')]);
        await s.items.upsert([item('a', 'shop', 'A2')]);
        assert.equal((await s.items.get('a'))?.title, 'A2');
        assert.deepEqual(
          (await s.items.getMany(['c', 'zz', 'a'])).map((i) => i.id),
          ['c', 'a'],
        );
        assert.deepEqual([...(await s.items.scenariosOf(['c', 'zz', 'a'])).entries()].sort(), [
          ['a', 'shop'],
          ['c', 'music'],
        ]);
        assert.equal(await s.items.count(), 3);
        assert.equal(await s.items.count('shop'), 2);
        assert.deepEqual(
          (await s.items.list({ scenario: 'shop', afterId: 'a' })).map((i) => i.id),
          ['b'],
        );
        assert.equal(await s.items.delete('b'), true);
        assert.equal(await s.items.delete('b'), false);
      } finally {
        await s.close();
      }
    });

    it('looks up more ids than one query takes (chunks of 500, the last one partly filled)', async () => {
      const s = await open();
      try {
        const all = Array.from({ length: 1203 }, (_, i) => item(`i${i}`, i % 3 === 0 ? 'music' : 'shop'));
        await s.items.upsert(all);
        // every stored id once, unknown ids between them, in an order unlike the table's
        const ask = all.map((it) => it.id).reverse();
        ask.splice(700, 0, 'nope-1', 'nope-2');
        const got = await s.items.getMany(ask);
        assert.deepEqual(
          got.map((i) => i.id),
          ask.filter((id) => !id.startsWith('nope')),
        );
        const sc = await s.items.scenariosOf(ask);
        assert.equal(sc.size, 1203);
        assert.equal(sc.get('i999'), 'music');
        assert.equal(sc.get('i1000'), 'shop');
        assert.equal(sc.has('nope-1'), false);
        assert.equal((await s.items.scenariosOf([])).size, 0);
      } finally {
        await s.close();
      }
    });

    it('adds events idempotently on id and registers users', async () => {
      const s = await open();
      try {
        const batch = [
          ev('e1', 'u1', 'a', 'shop', T0),
          ev('e2', 'u1', 'b', 'shop', T0 + 1),
          ev('e3', 'u2', 'a', 'shop', T0),
        ];
        assert.deepEqual(await s.events.add(batch), { inserted: 3, duplicates: 0 });
        assert.deepEqual(await s.events.add(batch), { inserted: 0, duplicates: 3 });
        // the insert reports which events were new: a repeat within the batch and stored ids are not
        const fresh: number[] = [];
        const again = [
          ev('e4', 'u3', 'a', 'shop', T0),
          ev('e2', 'u1', 'b', 'shop', T0),
          ev('e4', 'u3', 'a', 'shop', T0),
        ];
        assert.deepEqual(await s.events.add(again, { onInserted: (i) => fresh.push(i) }), {
          inserted: 1,
          duplicates: 2,
        });
        assert.deepEqual(fresh, [0]);
        assert.equal(await s.events.count(), 4);
        assert.equal(await s.users.count(), 3);
        assert.equal(await s.events.hasEvent('e2'), true);
      } finally {
        await s.close();
      }
    });

    it("returns a user's events by scenario and time, oldest first, ties in insertion order", async () => {
      const s = await open();
      try {
        await s.events.add([
          ev('e1', 'u1', 'a', 'shop', T0 + 10),
          ev('e2', 'u1', 'm', 'music', T0 + 5, { value: 3, context: { device: 'mobile' }, split: 'train' }),
          ev('e3', 'u1', 'b', 'shop', T0 + 10),
          ev('e4', 'u1', 'c', 'shop', T0 + 1),
        ]);
        assert.deepEqual(
          (await s.events.ofUser('u1')).map((e) => e.id),
          ['e4', 'e2', 'e1', 'e3'],
        );
        assert.deepEqual(
          (await s.events.ofUser('u1', { scenario: 'shop', since: T0 + 2 })).map((e) => e.id),
          ['e1', 'e3'],
        );
        assert.deepEqual(
          (await s.events.ofUser('u1', { limit: 2 })).map((e) => e.id),
          ['e1', 'e3'],
        );
        const music = await s.events.ofUser('u1', { splits: ['train'] });
        assert.equal(music.length, 1);
        assert.deepEqual(music[0]!.context, { device: 'mobile' });
        assert.equal(music[0]!.value, 3);
      } finally {
        await s.close();
      }
    });

    it('pages through all events in insertion order', async () => {
      const s = await open();
      try {
        const batch = Array.from({ length: 25 }, (_, i) =>
          ev(`e${i}`, `u${i % 4}`, `i${i % 7}`, 'shop', T0 + i),
        );
        await s.events.add(batch);
        const seen: string[] = [];
        let after: number | undefined = 0;
        while (after !== undefined) {
          const page = await s.events.scan({ afterSeq: after, limit: 10 });
          seen.push(...page.events.map((e) => e.id));
          after = page.next;
        }
        assert.deepEqual(
          seen,
          batch.map((e) => e.id),
        );
      } finally {
        await s.close();
      }
    });

    it('counts popularity per scenario and window, and co-occurrence by distinct users', async () => {
      const s = await open();
      try {
        await s.events.add([
          ev('1', 'u1', 'a', 'shop', T0),
          ev('2', 'u2', 'a', 'shop', T0 + 100),
          ev('3', 'u3', 'a', 'shop', T0 + 200),
          ev('4', 'u1', 'b', 'shop', T0 + 300),
          ev('5', 'u2', 'b', 'shop', T0 + 300),
          ev('6', 'u1', 'b', 'shop', T0 + 301),
          ev('7', 'u1', 'm', 'music', T0),
          ev('8', 'u2', 'c', 'shop', T0 + 400),
        ]);
        const pop = await s.events.popularity('shop');
        assert.deepEqual(
          pop.map((p) => p.item),
          ['a', 'b', 'c'],
        );
        assert.equal(pop[1]!.count, 3);
        assert.equal(pop[1]!.users, 2);
        const recent = await s.events.popularity('shop', { since: T0 + 250 });
        assert.deepEqual(
          recent.map((p) => p.item),
          ['b', 'c'],
        );
        const co = await s.events.coOccurrence('a');
        assert.deepEqual(
          co.map((c) => [c.item, c.users]),
          [
            ['b', 2],
            ['c', 1],
            ['m', 1],
          ],
        );
        const coShop = await s.events.coOccurrence('a', { scenario: 'shop', limit: 1 });
        assert.deepEqual(
          coShop.map((c) => c.item),
          ['b'],
        );
      } finally {
        await s.close();
      }
    });

    it('reports stats per scenario with multi-scenario users and events per type', async () => {
      const s = await open();
      try {
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
      } finally {
        await s.close();
      }
    });

    it('erases every trace of a deleted user, and nobody else', async () => {
      const s = await open();
      try {
        await s.events.add([ev('1', 'u1', 'a', 'shop', T0), ev('2', 'u10', 'a', 'shop', T0)]);
        await s.users.upsert([{ id: 'u1', attributes: { age: 30 } }]);
        await s.blobs.put('profile', [
          { key: 'u1', value: new Uint8Array([1]) },
          { key: 'u1:shop', value: new Uint8Array([2]) },
          { key: 'u10', value: new Uint8Array([3]) },
        ]);
        const removed = await s.deleteUser('u1');
        assert.ok(removed >= 4);
        assert.equal((await s.events.ofUser('u1')).length, 0);
        assert.equal(await s.users.get('u1'), undefined);
        assert.deepEqual(await s.blobs.keys('profile'), ['u10']);
        assert.equal((await s.events.ofUser('u10')).length, 1);
      } finally {
        await s.close();
      }
    });

    it('stores blobs and meta values', async () => {
      const s = await open();
      try {
        await s.blobs.put('vec', [{ key: 'k', value: new Uint8Array(new Float32Array([1.5, -2]).buffer) }]);
        const got = await s.blobs.get('vec', 'k');
        assert.deepEqual([...new Float32Array(got!.slice().buffer)], [1.5, -2]);
        assert.equal((await s.blobs.getMany('vec', ['k', 'x'])).size, 1);
        assert.equal(await s.blobs.count('vec'), 1);
        await s.setMeta('m', 'v1');
        await s.setMeta('m', 'v2');
        assert.equal(await s.getMeta('m'), 'v2');
        assert.equal(await s.getMeta('none'), undefined);
      } finally {
        await s.close();
      }
    });
  });
}
