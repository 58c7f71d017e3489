/** The item table: upsert, lookups in any order and in chunks, paging by id. */
import assert from 'node:assert/strict';
import type { Case } from '../../suite.ts';
import type { DataStore } from '../types.ts';
import { collect, item } from './fixtures.ts';

export function itemCases(test: Case<DataStore>): void {
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
}
