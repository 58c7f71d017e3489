import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { hourBandOf } from '../model/context.ts';
import { ContextLists, type ListSources } from './context-lists.ts';
import { ListLog } from './list-log.ts';

const DAY = 86_400_000;
const ITEMS = 6;
const sources: ListSources = {
  itemIds: Array.from({ length: ITEMS }, (_, i) => `i${i}`),
  titles: Array.from({ length: ITEMS }, (_, i) => `item ${i}`),
  scenarios: ['s'],
  scenarioCode: new Int32Array(ITEMS),
  scenarioItems: [Int32Array.from({ length: ITEMS }, (_, i) => i)],
  available: new Uint8Array(ITEMS).fill(1),
};
const options = {
  trendingDays: 7,
  trendingHalfLifeDays: 1,
  popularDays: 10,
  newDays: 30,
  minContextEvents: 1,
};

const event = fc.record({
  item: fc.integer({ min: 0, max: ITEMS - 1 }),
  user: fc.constantFrom('u1', 'u2', 'u3'),
  ts: fc.integer({ min: 0, max: 20 * DAY }),
  device: fc.constantFrom(undefined, 'mobile', 'tv'),
});

describe('ContextLists', () => {
  test('counts equal a brute-force count of the window and context, best first, for any events', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 60 }),
        fc.constantFrom(undefined, 'mobile', 'tv'),
        fc.constantFrom(undefined, 'night', 'morning', 'afternoon', 'evening' as const),
        fc.constantFrom('u1', 'u2'),
        (events, device, band, erased) => {
          const lists = new ContextLists(options);
          for (const e of events)
            lists.add(0, e.item, e.user, e.ts, e.device ? { device: e.device } : undefined);
          lists.forgetUser(erased);
          const kept = events.filter((e) => e.user !== erased);
          const last = Math.max(0, ...events.map((e) => e.ts));
          const r = lists.list('popular', 0, 's', ITEMS, { device, band }, sources);
          const want = new Map<string, number>();
          let inContext = 0;
          for (const e of kept) {
            if (e.ts < last - options.popularDays * DAY) continue;
            if (device !== undefined && e.device !== device) continue;
            if (band !== undefined && hourBandOf(new Date(e.ts).getUTCHours()) !== band) continue;
            inContext++;
            want.set(`i${e.item}`, (want.get(`i${e.item}`) ?? 0) + 1);
          }
          const contextual = device !== undefined || band !== undefined;
          if (contextual && inContext === 0) {
            assert.equal(r.context.applied, false);
            return;
          }
          assert.deepEqual(new Map(r.items.map((i) => [i.item, i.count])), want);
          for (let k = 1; k < r.items.length; k++) assert.ok(r.items[k - 1]!.score >= r.items[k]!.score);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('an unavailable item is left out', () => {
    const lists = new ContextLists(options);
    lists.add(0, 1, 'u1', DAY, undefined);
    lists.add(0, 2, 'u1', DAY, undefined);
    const available = Uint8Array.from([1, 0, 1, 1, 1, 1]);
    const r = lists.list('trending', 0, 's', 5, {}, { ...sources, available });
    assert.deepEqual(
      r.items.map((i) => i.item),
      ['i2'],
    );
  });

  test('a user met after an erasure gets a code of their own: erasing another leaves their events', () => {
    const lists = new ContextLists(options);
    lists.add(0, 1, 'u1', DAY, undefined);
    lists.add(0, 2, 'u2', DAY, undefined);
    lists.forgetUser('u1');
    lists.add(0, 3, 'u3', DAY, undefined);
    lists.forgetUser('u2');
    const r = lists.list('popular', 0, 's', 5, {}, sources);
    assert.deepEqual(
      r.items.map((i) => i.item),
      ['i3'],
    );
  });

  test('loading a log gives the lists of adding its events one by one, each in its scenario', () => {
    const log = new ListLog();
    const one = new ContextLists(options);
    const scenarioCode = Int32Array.from({ length: ITEMS }, (_, i) => i % 2);
    for (let k = 0; k < 40; k++) {
      const item = (k * 5) % ITEMS;
      const ctx = k % 3 === 0 ? { device: 'tv' } : undefined;
      log.add(item, `u${k % 4}`, k * 3_600_000, ctx);
      one.add(scenarioCode[item]!, item, `u${k % 4}`, k * 3_600_000, ctx);
    }
    const loaded = new ContextLists(options);
    loaded.load(log, scenarioCode);
    one.forgetUser('u1');
    loaded.forgetUser('u1');
    const two = {
      ...sources,
      scenarioCode,
      scenarioItems: [0, 1].map((c) => Int32Array.from([0, 2, 4], (i) => i + c)),
    };
    for (const code of [0, 1])
      for (const ctx of [{}, { device: 'tv' }, { band: 'night' as const }])
        assert.deepEqual(
          loaded.list('trending', code, 's', ITEMS, ctx, two),
          one.list('trending', code, 's', ITEMS, ctx, two),
        );
  });
});
