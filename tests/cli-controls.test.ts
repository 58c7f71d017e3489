/**
 * Business controls from the command line, as a user runs them (child processes of
 * bin/fusionrec.js): named filters (set, list, delete; a bad one refused naming its column, and
 * nothing stored) and recommend with --filter, --filter-name, --boost and --promote.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Item } from '../src/core/types.ts';
import { controlsCatalog } from './controls-fixture.ts';
import { BIN, runNode } from './run-process.ts';

const run = (args: string[]) => runNode([BIN, ...args], { env: { FUSIONREC_ENCODER__THREADS: '1' } });

describe('CLI: filters, boosts, promotions', () => {
  let db: string;
  let items: Map<string, Item>;
  let cleanup: () => Promise<void>;
  before(async () => {
    const c = await controlsCatalog(5, { items: 70 });
    db = c.db;
    items = new Map(c.items.map((it) => [it.id, it]));
    await c.store.close();
    cleanup = c.close;
  });
  after(async () => {
    await cleanup().catch(() => {});
  });

  const price = (id: string) => (items.get(id)!.attributes?.price as number | undefined) ?? Number.NaN;

  test('filter set, list and delete; a bad filter is refused naming the column, and nothing is stored', async () => {
    const ok = await run(['filter', 'set', 'cheap', 'price < 30', '--description', 'under 30', '--db', db]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await run(['filter', 'set', 'broken', 'price < 30 and brand == 3', '--db', db]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /INVALID_INPUT.*field "filter": column 25/);
    const deep = await run(['filter', 'set', 'deep', `${'('.repeat(40)}true${')'.repeat(40)}`, '--db', db]);
    assert.equal(deep.code, 1);
    assert.match(deep.stderr, /deeper than 32/);
    const list = await run(['filter', 'list', '--json', '--db', db]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).map((f: { name: string; filter: string }) => [f.name, f.filter]),
      [['cheap', 'price < 30']],
    );
  });

  test('recommend --filter, --filter-name, --boost and --promote', async () => {
    const r = await run([
      'recommend',
      'u1',
      '-s',
      'shop',
      '-n',
      '6',
      '--db',
      db,
      '--json',
      '--filter',
      'price < 50',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.equal(body.items.length, 6);
    for (const x of body.items) assert.ok(price(x.item) < 50, x.item);

    const p = await run([
      'recommend',
      'u1',
      '-s',
      'shop',
      '-n',
      '6',
      '--db',
      db,
      '--json',
      '--filter-name',
      'cheap',
      '--promote',
      '{"field": "tags", "op": "contains", "value": "eco"}',
      '--slots',
      '1',
      '--boost',
      '{"when": "brand == \\"zeta\\"", "add": 0.5}',
    ]);
    assert.equal(p.code, 0, p.stderr);
    const pb = JSON.parse(p.stdout);
    for (const x of pb.items) assert.ok(price(x.item) < 30, x.item);
    assert.equal(pb.items[0].promoted, true);
    assert.ok(items.get(pb.items[0].item)!.tags?.includes('eco'));
    const zeta = pb.items.find((x: { item: string }) => items.get(x.item)!.attributes?.brand === 'zeta');
    if (zeta) assert.equal(zeta.reasons.boosts[0].add, 0.5);

    const text = await run([
      'recommend',
      'u1',
      '-s',
      'shop',
      '-n',
      '4',
      '--db',
      db,
      '--promote',
      'price < 30',
      '--slots',
      '2',
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /promoted: \S+, \S+/);

    const bad = await run(['recommend', 'u1', '-s', 'shop', '--db', db, '--filter', 'price <']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /field "filter": column 8/);
  });

  test('filter delete', async () => {
    assert.equal((await run(['filter', 'delete', 'cheap', '--db', db])).code, 0);
    const again = await run(['filter', 'delete', 'cheap', '--db', db]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /NOT_FOUND/);
    const gone = await run(['recommend', 'u1', '-s', 'shop', '--db', db, '--filter-name', 'cheap']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /field "filterName"/);
  });
});
