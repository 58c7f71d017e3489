/**
 * The contract every data store passes: `dataStoreContract(name, open)` from the backend's own test
 * file, where `open` returns a fresh, empty store.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Event, Item } from '../../core/types.ts';
import { type ContractOptions, defineCases } from '../suite.ts';
import type { DataStore, Impression, ImpressionItem } from './types.ts';

const T0 = Date.UTC(2024, 0, 1);

export function ev(
  id: string,
  user: string,
  item: string,
  scenario: string,
  ts: number,
  extra: Partial<Event> = {},
): Event {
  return { id, user, item, scenario, type: 'view', ts, ...extra };
}

export function item(id: string, scenario: string, title = id): Item {
  return { id, scenario, title, available: true, tags: ['t'] };
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

export function dataStoreContract(
  name: string,
  open: () => Promise<DataStore>,
  opts: ContractOptions = {},
): void {
  describe(`DataStore contract: ${name}`, () => {
    defineCases(open, opts, (test) => {
      test('upserts and reads items, in the order asked, skipping unknown ids', async (s) => {
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
      });

      test('looks up more ids than one query takes (chunks of 500, the last one partly filled)', async (s) => {
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
      });

      test('pages through items by id, of one scenario or all, with no empty page', async (s) => {
        // ids whose order by id differs from insertion order
        const ids = Array.from({ length: 20 }, (_, i) => `i${String((i * 7) % 20).padStart(2, '0')}`);
        await s.items.upsert(ids.map((id, i) => item(id, i % 4 === 0 ? 'music' : 'shop')));
        const all = await collect(s.items.pages({ limit: 5 }));
        assert.deepEqual(
          all.map((p) => p.length),
          [5, 5, 5, 5],
        );
        assert.deepEqual(
          all.flat().map((i) => i.id),
          [...ids].sort(),
        );
        const shop = (await collect(s.items.pages({ scenario: 'shop', limit: 4 }))).flat();
        assert.equal(shop.length, 15);
        assert.ok(shop.every((i) => i.scenario === 'shop'));
        assert.deepEqual(await collect(s.items.pages({ scenario: 'none', limit: 4 })), []);
        await assert.rejects(collect(s.items.pages({ limit: 0 })), { code: 'INVALID_INPUT' });
      });

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

      test('adds events idempotently on id and registers users', async (s) => {
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
        assert.equal(await s.events.hasEvent('e9'), false);
        assert.deepEqual([...(await s.events.existing(['e9', 'e2', 'e4', 'e2', 'e1']))].sort(), [
          'e1',
          'e2',
          'e4',
        ]);
        assert.deepEqual(await s.events.existing([]), new Set());
        // more ids than one query binds
        const many = Array.from({ length: 2500 }, (_, i) => `x${i}`);
        assert.deepEqual([...(await s.events.existing([...many, 'e4']))], ['e4']);
      });

      test("returns a user's events by scenario and time, oldest first, ties in insertion order", async (s) => {
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
      });

      test('pages through all events in insertion order, by cursor and by iterator', async (s) => {
        const batch = Array.from({ length: 25 }, (_, i) =>
          ev(`e${i}`, `u${i % 4}`, `i${i % 7}`, i % 5 === 0 ? 'music' : 'shop', T0 - i, {
            split: i % 2 === 0 ? 'train' : 'test',
          }),
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
        const pages = await collect(s.events.pages({ limit: 10 }));
        assert.deepEqual(
          pages.map((p) => p.length),
          [10, 10, 5],
        );
        assert.deepEqual(
          pages.flat().map((e) => e.id),
          batch.map((e) => e.id),
        );
        const wanted = batch.filter((e) => e.scenario === 'shop' && e.split === 'test').map((e) => e.id);
        const filtered = await collect(s.events.pages({ limit: 4, scenario: 'shop', splits: ['test'] }));
        assert.deepEqual(
          filtered.flat().map((e) => e.id),
          wanted,
        );
        assert.ok(filtered.every((p) => p.length > 0));
      });

      test('stops paging when the signal aborts, before reading the next page', async (s) => {
        await s.events.add(Array.from({ length: 12 }, (_, i) => ev(`e${i}`, 'u', 'a', 'shop', T0 + i)));
        const stop = new AbortController();
        const read: string[] = [];
        await assert.rejects(
          (async () => {
            for await (const page of s.events.pages({ limit: 5, signal: stop.signal })) {
              read.push(...page.map((e) => e.id));
              stop.abort();
            }
          })(),
          { name: 'AbortError' },
        );
        assert.deepEqual(read, ['e0', 'e1', 'e2', 'e3', 'e4']);
      });

      test('counts popularity per scenario and window, by distinct users', async (s) => {
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
        assert.equal(await s.events.count({ scenario: 'music' }), 1);
      });

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
        await s.scenarios.upsert([
          { id: 'news', kind: 'news', eventWeights: { view: 2 }, allowRepeats: true },
        ]);
        assert.deepEqual(await s.scenarios.list(), [
          { id: 'news', kind: 'news', eventWeights: { view: 2 }, allowRepeats: true },
        ]);
        await s.setMeta('m', 'v1');
        await s.setMeta('m', 'v2');
        assert.equal(await s.getMeta('m'), 'v2');
        assert.equal(await s.getMeta('none'), undefined);
      });

      test('logs impressions idempotently, finds the latest showing an item, pages by experiment', async (s) => {
        const imp = (
          id: string,
          user: string,
          ts: number,
          items: string[],
          extra: Partial<Impression> = {},
        ) => ({
          id,
          user,
          scenario: 'shop',
          ts,
          modelVersion: 'm1',
          items: items.map(
            (item, position): ImpressionItem => ({ item, position, score: 1 - position / 10 }),
          ),
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
          await s.impressions.add([
            first,
            imp('r2', 'u1', T0 + 10, ['b', 'c']),
            imp('r3', 'u2', T0 + 5, ['a']),
          ]),
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
    });
  });
}
