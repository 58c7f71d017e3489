import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { isRecError } from '../src/core/errors.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { LAST, type TinyShop, tinyShop } from './lists-fixture.ts';

const DAY = 86_400_000;

describe('trending, popular and new lists (engine)', () => {
  let shop: TinyShop;
  let engine: Engine;

  before(async () => {
    shop = await tinyShop();
    const config = parseConfig({ engine: { lists: { minContextEvents: 3 } }, seq: { enabled: false } });
    engine = await createEngine(config, { store: shop.store, encoder: shop.encoder, onWarning: () => {} });
  });
  after(async () => {
    await engine.close();
    await shop.close();
  });

  const ids = (r: { items: { item: string }[] }) => r.items.map((i) => i.item);

  it('trending: the item bought every day of the last week, with titles, counts and the window', async () => {
    const r = await engine.list!({ list: 'trending', scenario: 'shop', n: 3 });
    assert.equal(r.items[0]!.item, 'mug');
    assert.equal(r.items[0]!.title, 'enamel camping mug');
    assert.equal(r.items[0]!.count, 14);
    assert.ok(!ids(r).includes('old-hit'), 'an item bought a month ago is not trending');
    assert.equal(r.window.to, LAST);
    assert.equal(r.window.from, LAST - 7 * DAY);
    assert.equal(r.window.halfLifeDays, 1);
    // the newest events weigh most: wine (last bought at the window's end) scores above coffee
    const all = await engine.list!({ list: 'trending', scenario: 'shop', n: 10 });
    const score = (id: string) => all.items.find((i) => i.item === id)!.score;
    assert.ok(score('wine') > score('coffee'));
  });

  it('popular: over every event the old hit leads', async () => {
    const r = await engine.list!({ list: 'popular', scenario: 'shop', n: 2 });
    assert.deepEqual(ids(r), ['old-hit', 'mug']);
    assert.deepEqual([r.items[0]!.count, r.items[0]!.score], [20, 20]);
    assert.equal(r.window.from, null);
  });

  it('the evening list differs from the morning list', async () => {
    const morning = await engine.list!({ list: 'popular', scenario: 'shop', context: { band: 'morning' } });
    const evening = await engine.list!({ list: 'popular', scenario: 'shop', context: { hour: 18 } });
    assert.equal(morning.items[0]!.item, 'coffee');
    assert.equal(evening.items[0]!.item, 'wine');
    assert.ok(!ids(morning).includes('wine'));
    assert.equal(evening.context.band, 'evening');
    assert.equal(evening.context.applied, true);
  });

  it('a context with too little data falls back to the overall list and says so', async () => {
    const tv = await engine.list!({ list: 'trending', scenario: 'shop', context: { device: 'tv' } });
    const overall = await engine.list!({ list: 'trending', scenario: 'shop' });
    assert.equal(tv.context.applied, false);
    assert.equal(tv.context.events, 1);
    assert.match(tv.context.fallback!, /minContextEvents/);
    assert.deepEqual(ids(tv), ids(overall));
    const unseen = await engine.list!({ list: 'trending', scenario: 'shop', context: { device: 'fridge' } });
    assert.equal(unseen.context.applied, false);
    assert.equal(unseen.context.events, 0);
    const desktop = await engine.list!({
      list: 'trending',
      scenario: 'shop',
      context: { device: 'desktop' },
    });
    assert.equal(desktop.context.applied, true);
    assert.deepEqual(ids(desktop).sort(), ['coffee', 'wine']);
  });

  it('new: items created within the window, newest first', async () => {
    const r = await engine.list!({ list: 'new', scenario: 'shop' });
    assert.deepEqual(ids(r), ['new-1', 'new-2']);
    assert.equal(r.items[0]!.createdAt, LAST - DAY);
  });

  it('lists follow events as they arrive, and an erased user leaves them', async () => {
    const ts = LAST - 3_600_000;
    await engine.addEvents(
      [0, 1, 2, 3, 4, 5, 6, 7].map((k) => ({
        id: `burst${k}`,
        user: 'burst',
        item: 'tea-green',
        scenario: 'shop',
        type: 'purchase',
        ts: ts + k,
      })),
    );
    const r = await engine.list!({ list: 'trending', scenario: 'shop', n: 1 });
    assert.equal(r.items[0]!.item, 'tea-green');
    await engine.deleteUser('burst');
    const back = await engine.list!({ list: 'trending', scenario: 'shop', n: 1 });
    assert.equal(back.items[0]!.item, 'mug');
  });

  it('bad requests name the field', async () => {
    for (const [req, field] of [
      [{ list: 'hot', scenario: 'shop' }, 'list'],
      [{ list: 'new', scenario: 'shop', n: 0 }, 'n'],
      [{ list: 'new', scenario: 'shop', context: { band: 'noon' } }, 'context.band'],
      [{ list: 'new', scenario: 'nowhere' }, 'scenario'],
    ] as const) {
      await assert.rejects(engine.list!(req as never), (e) => isRecError(e) && e.field === field);
    }
  });
});
