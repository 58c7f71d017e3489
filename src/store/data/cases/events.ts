/** The event log: idempotent adds, per-user reads, paging, popularity. */
import assert from 'node:assert/strict';
import type { Case } from '../../suite.ts';
import type { DataStore } from '../types.ts';
import { collect, ev, T0 } from './fixtures.ts';

export function eventCases(test: Case<DataStore>): void {
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
}
