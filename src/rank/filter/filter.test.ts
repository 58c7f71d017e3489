import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRecError, type RecError } from '../../core/errors.ts';
import type { Item } from '../../core/types.ts';
import { compileFilter, type FilterEnv } from './compile.ts';
import { ItemFacts } from './facts.ts';
import { filterFromJson } from './json.ts';
import { parseFilter } from './parse.ts';

const DAY = 86_400_000;
const NOW = 1_700_000_000_000;

const ITEMS: Item[] = [
  {
    id: 'a',
    scenario: 'shop',
    title: 'Red Running Shoes',
    category: ['Sport', 'Shoes'],
    tags: ['red', 'sale'],
    attributes: { price: 19.5, brand: 'acme', organic: true },
    createdAt: NOW - 2 * DAY,
    available: true,
  },
  {
    id: 'b',
    scenario: 'shop',
    title: 'Blue Kettle',
    category: ['Home', 'Kitchen'],
    tags: ['blue'],
    attributes: { price: 45, brand: 'kettleco', organic: false },
    createdAt: NOW - 60 * DAY,
    available: true,
  },
  { id: 'c', scenario: 'news', title: 'Headline', available: false, attributes: { brand: 7 } },
];

function facts(): ItemFacts {
  const f = new ItemFacts();
  ITEMS.forEach((it, i) => {
    f.set(i, it);
  });
  f.available = (i) => ITEMS[i]!.available !== false;
  return f;
}

const history: FilterEnv['history'] = {
  // the user bought item 0 ten days ago and viewed item 1 yesterday
  has: (item, type, since) =>
    (item === 0 && (type === undefined || type === 'purchase') && NOW - 10 * DAY >= since) ||
    (item === 1 && (type === undefined || type === 'view') && NOW - DAY >= since),
};

function matches(expr: string): string[] {
  const f = facts();
  const test = compileFilter(parseFilter(expr), f).bind({ now: NOW, history });
  return ITEMS.filter((_, i) => test(i)).map((it) => it.id);
}

function refused(f: () => unknown): RecError {
  try {
    f();
  } catch (e) {
    assert.ok(isRecError(e), String(e));
    assert.equal(e.code, 'INVALID_INPUT');
    return e;
  }
  assert.fail('expected a refusal');
}

describe('filter language', () => {
  it('evaluates comparisons, lists, strings, times, booleans and history as documented', () => {
    assert.deepEqual(matches('price < 20'), ['a']);
    assert.deepEqual(matches('attributes.price >= 19.5 and price <= 45'), ['a', 'b']);
    assert.deepEqual(matches('category == "Kitchen"'), ['b']);
    assert.deepEqual(matches('category_path contains "Sport"'), ['a']);
    assert.deepEqual(matches('tags contains "sale" or tags in ["blue", "green"]'), ['a', 'b']);
    assert.deepEqual(matches('title contains "kettle"'), ['b']);
    assert.deepEqual(matches('created_at > now - 30d'), ['a']);
    assert.deepEqual(matches('created_at < "2023-10-01"'), ['b']);
    assert.deepEqual(matches('available'), ['a', 'b']);
    assert.deepEqual(matches('not available'), ['c']);
    assert.deepEqual(matches('organic == true'), ['a']);
    assert.deepEqual(matches('scenario != "shop"'), ['c']);
    assert.deepEqual(matches('id not in ["a", "c"]'), ['b']);
    // a missing value compares false, even with !=; `not` negates that
    assert.deepEqual(matches('price != 45'), ['a']);
    assert.deepEqual(matches('not (price == 45)'), ['a', 'c']);
    // a mixed field compares by the value's own type
    assert.deepEqual(matches('brand == 7'), ['c']);
    assert.deepEqual(matches('brand == "acme"'), ['a']);
    // history: bought 10 days ago, viewed yesterday
    assert.deepEqual(matches('not purchase within 30d'), ['b', 'c']);
    assert.deepEqual(matches('purchase within 7d'), []);
    assert.deepEqual(matches('history("view", 2d)'), ['b']);
    assert.deepEqual(matches('history()'), ['a', 'b']);
    assert.deepEqual(matches('history(30d) and (price < 20 or true)'), ['a', 'b']);
  });

  it('the JSON form is the same tree', () => {
    const f = facts();
    const json = filterFromJson({
      and: [
        { field: 'price', op: '<', value: 50 },
        { not: { history: { type: 'purchase', within: '30d' } } },
        { field: 'created_at', op: '>', value: { now: '-90d' } },
        { field: 'available' },
      ],
    });
    const text = parseFilter(
      'price < 50 and not history("purchase", 30d) and created_at > now - 90d and available',
    );
    const run = (e: typeof json) => {
      const t = compileFilter(e, f).bind({ now: NOW, history });
      return ITEMS.map((_, i) => t(i));
    };
    assert.deepEqual(run(json), run(text));
    assert.deepEqual(run(json), [false, true, false]);
  });

  it('a bad expression is refused naming the field and the column', () => {
    const f = facts();
    const check = (expr: string, column: number, field = 'filter') => {
      const e = refused(() => compileFilter(parseFilter(expr, field), f, field));
      assert.equal(e.field, field, e.message);
      assert.equal(e.details?.column, column, e.message);
      assert.match(e.message, new RegExp(`column ${column}:`));
    };
    check('price < ', 9); // does not parse: a value is missing at the end
    check('price < 20 and (tags contains "x"', 34);
    check('price <> 3', 8);
    check('prce < 20', 1); // unknown field
    check('available and category == 3', 27); // a string field compared with a number
    check('price == "cheap"', 10); // a number field compared with a string
    check('tags == "x"', 1, 'boosts[0].when');
    check('price', 1); // not a boolean field
    check('created_at > "yesterday"', 14);
    check('price < 20 @', 12);
  });

  it('too long or too deep is refused', () => {
    const long = `price < 1${' or price < 1'.repeat(200)}`;
    assert.match(refused(() => parseFilter(long)).message, /longer than 2000/);
    const deep = `${'('.repeat(40)}price < 1${')'.repeat(40)}`;
    assert.match(refused(() => parseFilter(deep)).message, /deeper than 32/);
    const nots = `${'not '.repeat(40)}available`;
    assert.match(refused(() => parseFilter(nots)).message, /deeper than 32/);
    let json: unknown = { field: 'available' };
    for (let i = 0; i < 40; i++) json = { not: json };
    assert.match(refused(() => filterFromJson(json)).message, /deeper than 32/);
  });

  it('JSON form errors name the path', () => {
    const f = facts();
    assert.equal(
      refused(() => filterFromJson({ and: [{ field: 'price', op: '~', value: 1 }] })).field,
      'filter.and[0].op',
    );
    assert.equal(
      refused(() => compileFilter(filterFromJson({ or: [true, { field: 'prce', op: '<', value: 1 }] }), f))
        .field,
      'filter.or[1]',
    );
    assert.equal(
      refused(() => compileFilter(filterFromJson({ field: 'price', op: '<', value: 'x' }), f)).field,
      'filter.value',
    );
  });
});
