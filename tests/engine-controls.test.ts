/**
 * Business controls through the real engine: request filters (never a forbidden item, also when
 * the fallback retrievers fill the list: a property over random catalogs and expressions), boosts
 * shown in the explanation, promotions, named filters (nothing stored on a bad one), and the
 * scenario rules maxPerCategory and freshnessBoost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseConfig } from '../src/config/load.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { isRecError } from '../src/core/errors.ts';
import type { Event, Item } from '../src/core/types.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { BRANDS, CATEGORIES, type ControlsCatalog, controlsCatalog, DAY, TAGS } from './controls-fixture.ts';

interface Gen {
  text: string;
  test(item: Item, events: readonly Event[], now: number): boolean;
}

const leaf = (it: Item) => it.category?.[it.category.length - 1];
const num = (it: Item, k: string) =>
  typeof it.attributes?.[k] === 'number' ? (it.attributes[k] as number) : undefined;
const str = (it: Item, k: string) =>
  typeof it.attributes?.[k] === 'string' ? (it.attributes[k] as string) : undefined;

/** random expressions with an oracle written apart from the engine's compiler */
const atom: fc.Arbitrary<Gen> = fc.oneof(
  fc.tuple(fc.constantFrom('<', '>=', '==', '!='), fc.integer({ min: 0, max: 100 })).map(([op, x]) => ({
    text: `price ${op} ${x}`,
    test: (it: Item) => {
      const p = num(it, 'price');
      if (p === undefined) return false;
      return op === '<' ? p < x : op === '>=' ? p >= x : op === '==' ? p === x : p !== x;
    },
  })),
  fc
    .constantFrom(...CATEGORIES)
    .map((c) => ({ text: `category == "${c}"`, test: (it: Item) => leaf(it) === c })),
  fc.constantFrom(...CATEGORIES).map((c) => ({
    text: `category != "${c}"`,
    test: (it: Item) => leaf(it) !== undefined && leaf(it) !== c,
  })),
  fc.subarray(CATEGORIES, { minLength: 1 }).map((cs) => ({
    text: `category in [${cs.map((c) => JSON.stringify(c)).join(', ')}]`,
    test: (it: Item) => leaf(it) !== undefined && cs.includes(leaf(it)!),
  })),
  fc
    .constantFrom(...TAGS)
    .map((t) => ({ text: `tags contains "${t}"`, test: (it: Item) => it.tags?.includes(t) ?? false })),
  fc.subarray(BRANDS, { minLength: 1 }).map((bs) => ({
    text: `brand not in [${bs.map((b) => `'${b}'`).join(',')}]`,
    test: (it: Item) => !(str(it, 'brand') !== undefined && bs.includes(str(it, 'brand')!)),
  })),
  fc.tuple(fc.constantFrom('>', '<'), fc.integer({ min: 0, max: 130 })).map(([op, d]) => ({
    text: `created_at ${op} now - ${d}d`,
    test: (it: Item, _e: readonly Event[], now: number) =>
      it.createdAt !== undefined &&
      (op === '>' ? it.createdAt > now - d * DAY : it.createdAt < now - d * DAY),
  })),
  fc
    .tuple(fc.constantFrom('purchase', 'view', undefined), fc.option(fc.integer({ min: 1, max: 70 })))
    .map(([type, d]) => ({
      text:
        type && d !== null && d % 2 === 0
          ? `${type} within ${d}d`
          : `history(${[...(type ? [`"${type}"`] : []), ...(d !== null ? [`${d}d`] : [])].join(', ')})`,
      test: (it: Item, events: readonly Event[], now: number) =>
        events.some(
          (e) =>
            e.item === it.id &&
            (type === undefined || e.type === type) &&
            (d === null || e.ts >= now - d * DAY),
        ),
    })),
  fc.constantFrom('red', 'blue', 'kettles').map((w) => ({
    text: `title contains "${w}"`,
    test: (it: Item) => it.title.toLowerCase().includes(w),
  })),
  fc.boolean().map((b) => ({ text: String(b), test: () => b })),
);

const { expr } = fc.letrec<{ expr: Gen; and: Gen; or: Gen; not: Gen }>((tie) => ({
  expr: fc.oneof({ depthSize: 'small', withCrossShrink: true }, atom, tie('and'), tie('or'), tie('not')),
  and: fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => ({
    text: `(${a.text} and ${b.text})`,
    test: (it, e, now) => a.test(it, e, now) && b.test(it, e, now),
  })),
  or: fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => ({
    text: `((${a.text}) or ${b.text})`,
    test: (it, e, now) => a.test(it, e, now) || b.test(it, e, now),
  })),
  not: tie('expr').map((a) => ({ text: `not (${a.text})`, test: (it, e, now) => !a.test(it, e, now) })),
}));

async function engineOver(c: ControlsCatalog, config: ConfigInput = {}): Promise<Engine> {
  return createEngine(parseConfig(config), { store: c.store, encoder: null, onWarning: () => {} });
}

async function refusal(p: Promise<unknown>): Promise<{ field?: string; message: string; details?: unknown }> {
  try {
    await p;
  } catch (e) {
    assert.ok(isRecError(e), String(e));
    assert.equal(e.code, 'INVALID_INPUT', e.message);
    return { ...(e.field ? { field: e.field } : {}), message: e.message, details: e.details };
  }
  assert.fail('expected a 400');
}

describe('request controls on the real engine', () => {
  it('a filter never lets a forbidden item through, also when the fallback retrievers fill the list (property)', async () => {
    let requests = 0;
    let filled = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(
          fc.record({
            filter: expr,
            promote: fc.option(fc.record({ filter: expr, slots: fc.integer({ min: 1, max: 4 }) })),
            user: fc.nat(11),
            n: fc.integer({ min: 1, max: 15 }),
            diversity: fc.constantFrom(0, 0.3),
          }),
          { minLength: 10, maxLength: 25 },
        ),
        async (seed, reqs) => {
          const c = await controlsCatalog(seed, { items: 50 + (seed % 40) });
          // a small candidate pool, so the filters often leave fewer than n and the chain must refill
          const engine = await engineOver(c, { engine: { candidates: 10 } });
          try {
            for (const q of reqs) {
              const user = c.users[q.user]!;
              const events = c.events.filter((e) => e.user === user);
              const now = Date.now();
              const res = await engine.recommend({
                user,
                scenario: 'shop',
                n: q.n,
                diversity: q.diversity,
                filter: q.filter.text,
                ...(q.promote ? { promote: { filter: q.promote.filter.text, slots: q.promote.slots } } : {}),
              });
              requests++;
              const byId = new Map(c.items.map((it) => [it.id, it]));
              const ids = res.items.map((r) => r.item);
              assert.equal(new Set(ids).size, ids.length, 'no duplicates');
              for (const r of res.items) {
                const it = byId.get(r.item)!;
                assert.ok(q.filter.test(it, events, now), `${r.item} breaks ${q.filter.text}`);
                assert.ok(it.available, `${r.item} is not available`);
                if (r.promoted)
                  assert.ok(
                    q.promote?.filter.test(it, events, now),
                    `${r.item} promoted by ${q.promote?.filter.text}`,
                  );
              }
              // every eligible item is reachable: the list is full when the catalog allows
              const consumed = new Set(events.map((e) => e.item));
              const eligible = c.items.filter(
                (it) => it.available && !consumed.has(it.id) && q.filter.test(it, events, now),
              ).length;
              assert.equal(
                ids.length,
                Math.min(q.n, eligible),
                `${q.filter.text}: ${ids.length} of ${eligible}`,
              );
              if (q.promote) {
                const promotable = c.items.filter(
                  (it) =>
                    it.available &&
                    !consumed.has(it.id) &&
                    q.filter.test(it, events, now) &&
                    q.promote!.filter.test(it, events, now),
                ).length;
                const promoted = res.items.filter((r) => r.promoted).length;
                assert.equal(promoted, Math.min(q.promote.slots, q.n, promotable));
              }
              if (eligible > 10) filled++;
            }
          } finally {
            await engine.close();
            await c.close();
          }
        },
      ),
      { numRuns: 15, seed: 17 },
    );
    assert.ok(requests >= 60 && filled > 0, `${requests} requests, ${filled} past the candidate pool`);
  });

  describe('on one catalog', () => {
    let c: ControlsCatalog;
    let engine: Engine;
    before(async () => {
      c = await controlsCatalog(7, { items: 80 });
      engine = await engineOver(c);
    });
    after(async () => {
      await engine.close();
      await c.close();
    });

    it('boosts change the score and the explanation shows them', async () => {
      const plain = await engine.recommend({ user: 'u1', scenario: 'shop', n: 50, diversity: 0 });
      const boosted = await engine.recommend({
        user: 'u1',
        scenario: 'shop',
        n: 50,
        diversity: 0,
        boosts: [{ when: 'tags contains "sale"', add: 100 }],
      });
      const sale = new Set(c.items.filter((it) => it.tags?.includes('sale')).map((it) => it.id));
      // +100 puts every sale item of the candidates first
      const firstNon = boosted.items.findIndex((r) => !sale.has(r.item));
      assert.ok(firstNon > 0, 'some sale items first');
      assert.ok(
        boosted.items.slice(firstNon).every((r) => !sale.has(r.item)),
        'sale items before the others',
      );
      const b = boosted.items[0]!;
      assert.deepEqual(b.reasons.boosts, [
        {
          source: 'boost',
          index: 0,
          when: 'tags contains "sale"',
          add: 100,
          effect: b.reasons.boosts![0]!.effect,
        },
      ]);
      assert.ok(Math.abs(b.reasons.boosts![0]!.effect - 100) < 1e-3);
      const before = plain.items.find((r) => r.item === b.item);
      if (before) assert.ok(Math.abs(b.score - (before.score + 100)) < 1e-3);
      assert.equal(plain.items[0]!.reasons.boosts, undefined);
    });

    it('promotions fill their slots with the best-scored items of the filter, marked, at the top or spread', async () => {
      const cheap = (r: { item: string }) =>
        (num(c.items.find((it) => it.id === r.item)!, 'price') ?? 1e9) < 30;
      const top = await engine.recommend({
        user: 'u2',
        scenario: 'shop',
        n: 10,
        promote: { filter: 'price < 30', slots: 2 },
      });
      assert.deepEqual(
        top.items.map((r) => r.promoted === true),
        [true, true, false, false, false, false, false, false, false, false],
      );
      assert.ok(top.items.slice(0, 2).every(cheap));
      assert.ok(top.items[0]!.score >= top.items[1]!.score, 'in the ranker order');
      const spread = await engine.recommend({
        user: 'u2',
        scenario: 'shop',
        n: 10,
        promote: { filter: 'price < 30', slots: 2, placement: 'spread' },
      });
      assert.deepEqual(
        spread.items.flatMap((r, i) => (r.promoted ? [i] : [])),
        [0, 5],
      );
      assert.deepEqual(
        spread.items.filter((r) => r.promoted).map((r) => r.item),
        top.items.slice(0, 2).map((r) => r.item),
      );
    });

    it('named filters: stored, used by name, listed, deleted; a bad one stores nothing', async () => {
      const admin = engine.filters!;
      await admin.set('cheap', { filter: 'price < 25', description: 'under 25' });
      await admin.set('eco', { filter: { field: 'tags', op: 'contains', value: 'eco' } });
      assert.deepEqual(
        (await admin.list()).map((f) => f.name),
        ['cheap', 'eco'],
      );
      const r = await engine.recommend({ user: 'u3', scenario: 'shop', n: 10, filterName: 'cheap' });
      assert.ok(r.items.length > 0);
      for (const x of r.items) assert.ok((num(c.items.find((it) => it.id === x.item)!, 'price') ?? 99) < 25);
      const p = await engine.recommend({
        user: 'u3',
        scenario: 'shop',
        n: 10,
        promote: { filterName: 'eco', slots: 1 },
      });
      assert.ok(
        p.items[0]!.promoted && c.items.find((it) => it.id === p.items[0]!.item)!.tags?.includes('eco'),
      );

      const before = await c.store.getMeta('filters');
      const bad = await refusal(admin.set('broken', { filter: 'price < "x"' }));
      assert.equal(bad.field, 'filter');
      assert.match(bad.message, /column 9/);
      await refusal(admin.set('unknown', { filter: 'colour == "red"' }));
      await refusal(admin.set('bad name!', { filter: 'true' }));
      await refusal(admin.set('long', { filter: `price < 1${' or price < 2'.repeat(200)}` }));
      assert.equal(await c.store.getMeta('filters'), before, 'nothing stored');
      assert.equal(await admin.get('broken'), undefined);

      assert.equal(await admin.delete('cheap'), true);
      assert.equal(await admin.delete('cheap'), false);
      const gone = await refusal(engine.recommend({ user: 'u3', scenario: 'shop', filterName: 'cheap' }));
      assert.equal(gone.field, 'filterName');
    });

    it('bad controls in a request are a 400 naming the field and position', async () => {
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ filter: 'price <' }, 'filter', /column 8/],
        [{ filter: 'colour == "red"' }, 'filter', /column 1: unknown field "colour"/],
        [{ filter: 'category == 3' }, 'filter', /column 13/],
        [{ boosts: [{ when: 'price > "a"', add: 1 }] }, 'boosts[0].when', /column 9/],
        [{ boosts: [{ when: 'true' }] }, 'boosts[0].multiply', /multiply, add/],
        [{ promote: { filter: 'tags == "x"', slots: 2 } }, 'promote.filter', /column 1/],
        [{ promote: { slots: 2 } }, 'promote.filter', /exactly one/],
        [{ filter: { and: [{ field: 'price', op: '<', value: 'x' }] } }, 'filter.and[0].value', /number/],
        [{ filter: `${'('.repeat(33)}true${')'.repeat(33)}` }, 'filter', /deeper than 32/],
        [{ filter: 'x'.repeat(2001) }, 'filter', /longer than 2000/],
      ];
      for (const [extra, field, message] of cases) {
        const e = await refusal(engine.recommend({ user: 'u1', scenario: 'shop', ...extra } as never));
        assert.equal(e.field, field, `${JSON.stringify(extra).slice(0, 80)}: ${e.message}`);
        assert.match(e.message, message);
      }
    });
  });

  it('scenario rules: maxPerCategory caps each leaf category; freshnessBoost lifts new items and says so', async () => {
    const c = await controlsCatalog(11, { items: 90 });
    const capped = await engineOver(c, { engine: { rules: { shop: { maxPerCategory: 2 } } } });
    const plain = await engineOver(c);
    const fresh = await engineOver(c, {
      engine: { rules: { shop: { freshnessBoost: { halfLifeDays: 3, weight: 50 } } } },
    });
    try {
      const catOf = new Map(c.items.map((it) => [it.id, leaf(it)]));
      let wouldBreak = 0;
      for (const user of c.users.slice(0, 6)) {
        const p = await plain.recommend({ user, scenario: 'shop', n: 12, diversity: 0 });
        const counts = (items: { item: string }[]) => {
          const m = new Map<string, number>();
          for (const r of items) {
            const k = catOf.get(r.item);
            if (k) m.set(k, (m.get(k) ?? 0) + 1);
          }
          return Math.max(0, ...m.values());
        };
        if (counts(p.items) > 2) wouldBreak++;
        const r = await capped.recommend({ user, scenario: 'shop', n: 12, diversity: 0 });
        assert.ok(counts(r.items) <= 2, `${user}: ${r.items.map((x) => catOf.get(x.item)).join(',')}`);
        const pr = await capped.recommend({
          user,
          scenario: 'shop',
          n: 12,
          promote: { filter: 'category == "Shoes"', slots: 3 },
        });
        assert.ok(counts(pr.items) <= 2, 'promoted items count toward the cap');
        assert.ok(pr.items.filter((x) => x.promoted).length <= 2);
      }
      assert.ok(wouldBreak > 0, 'the cap changed some lists');

      const r = await fresh.recommend({ user: 'u0', scenario: 'shop', n: 10, diversity: 0 });
      const created = new Map(c.items.map((it) => [it.id, it.createdAt]));
      const top = r.items[0]!;
      const age = (Date.now() - created.get(top.item)!) / DAY;
      assert.ok(age < 5, `the newest items lead (${age.toFixed(1)} days)`);
      const f = top.reasons.boosts?.find((b) => b.source === 'freshness');
      assert.ok(f && Math.abs(f.effect - 50 * 0.5 ** (age / 3)) < 0.05, JSON.stringify(top.reasons.boosts));
    } finally {
      await capped.close();
      await plain.close();
      await fresh.close();
      await c.close();
    }
  });
});
