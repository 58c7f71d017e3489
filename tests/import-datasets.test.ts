/**
 * Each shared dataset imports with its documented counts, keeps its split and event order, and
 * a second import adds nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ImportReport, importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { StoreStats } from '../src/store/types.ts';
import { DATA, noData, tempDir } from './import-helpers.ts';

const tmp = tempDir('datasets');
after(tmp.cleanup);

/** Imports a dataset into a fresh store once per suite; the second import is checked last. */
function fixture(format: string) {
  const f = {} as { store: SqliteStore; report: ImportReport; stats: StoreStats };
  before(async () => {
    f.store = new SqliteStore(join(tmp.dir, `${format}.db`));
    f.report = await importDataset(f.store, format, join(DATA, format));
    f.stats = await f.store.stats();
  });
  after(() => f.store?.close());
  return f;
}

function perScenario(st: StoreStats) {
  return Object.fromEntries(
    st.scenarios.map((s) => [s.scenario, { items: s.items, users: s.users, events: s.events }]),
  );
}

async function assertReimportAddsNothing(f: { store: SqliteStore; stats: StoreStats }, format: string) {
  const again = await importDataset(f.store, format, join(DATA, format));
  assert.equal(again.events.inserted, 0);
  assert.equal(again.events.duplicates, f.stats.events);
  assert.deepEqual(await f.store.stats(), f.stats);
}

/** The data lines of a file, header skipped when asked. */
const dataLines = (file: string, header: boolean) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(header ? 1 : 0);

describe('import food-kitchen', { skip: noData }, () => {
  const f = fixture('food-kitchen');

  it('has 36,298 items and 436,127 events in food and kitchen', () => {
    assert.equal(f.stats.items, 36_298);
    assert.equal(f.stats.events, 436_127);
    assert.deepEqual(perScenario(f.stats), {
      // users: food-only + both + valid + test; kitchen-only + both + valid + test
      food: { items: 8_661, users: 5_472 + 7_501 + 960 + 937, events: 98_316 },
      kitchen: { items: 27_637, users: 38_191 + 7_501 + 960 + 937, events: 337_811 },
    });
    assert.deepEqual(f.stats.eventsByType, { purchase: 436_127 });
  });

  it('has 7,501 training users active in both scenarios, and every valid/test user in both', () => {
    assert.equal(f.stats.users, 5_472 + 38_191 + 7_501 + 960 + 937);
    assert.equal(f.stats.multiScenarioUsersBySplit.train, 7_501);
    assert.equal(f.stats.multiScenarioUsers, 7_501 + 960 + 937);
    assert.deepEqual(f.stats.eventsBySplit, {
      train: 37_281 + 265_817 + 99_170,
      valid_input: 18_133 - 960,
      valid: 960,
      test_input: 15_726 - 937,
      test: 937,
    });
  });

  it('keeps each held-out sequence in file order, the last item as the target', async () => {
    const lines = dataLines(join(DATA, 'food-kitchen', 'test.txt'), false);
    for (const n of [1, 2, 500, lines.length]) {
      const [uid, list] = lines[n - 1]!.split('\t');
      const ids = list!.split(',');
      const events = await f.store.events.ofUser(`test:${uid}`);
      assert.deepEqual(
        events.map((e) => e.item),
        ids,
      );
      assert.deepEqual(
        events.map((e) => e.split),
        ids.map((_, i) => (i === ids.length - 1 ? 'test' : 'test_input')),
      );
      assert.deepEqual(
        events.map((e) => e.scenario),
        ids.map((id) => (Number(id) < 8_661 ? 'food' : 'kitchen')),
      );
    }
    const item = await f.store.items.get('0');
    assert.equal(item?.scenario, 'food');
    assert.equal(item?.attributes?.asin, 'B000BIZT3E');
    assert.match(item?.title ?? '', /^Enfamil Prosobee/);
  });

  it('adds nothing when imported again', () => assertReimportAddsNothing(f, 'food-kitchen'));
});

describe('import scientific', { skip: noData }, () => {
  const f = fixture('scientific');

  it('has 8,442 users, 4,385 items and 59,427 events, leave-one-out split', () => {
    assert.deepEqual(perScenario(f.stats), { scientific: { items: 4_385, users: 8_442, events: 59_427 } });
    assert.equal(f.stats.users, 8_442);
    assert.deepEqual(f.stats.eventsBySplit, { test: 8_442, train: 59_427 - 2 * 8_442, valid: 8_442 });
  });

  it('rebuilds sequences longer than the 50-item prefixes, consistent with test.inter', async () => {
    const test = new Map(
      dataLines(join(DATA, 'scientific', 'Scientific.test.inter'), true).map((l) => {
        const [u, hist, target] = l.split('\t');
        return [u!, { hist: hist!.split(' '), target: target! }];
      }),
    );
    for (const user of ['0', '247', '1412', '8441']) {
      const events = await f.store.events.ofUser(user);
      const items = events.map((e) => e.item);
      const t = test.get(user)!;
      assert.equal(items.at(-1), t.target);
      assert.deepEqual(items.slice(-1 - t.hist.length, -1), t.hist);
      assert.equal(events.at(-1)?.split, 'test');
      assert.equal(events.at(-2)?.split, 'valid');
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.ts > events[i - 1]!.ts);
    }
    // user 247 has 80 events, more than test.inter can show
    assert.equal((await f.store.events.ofUser('247')).length, 80);
    const user = await f.store.users.get('0');
    assert.equal(user?.attributes?.reviewerId, 'ABW8NXS7SV55K');
  });

  it('separates title, category and brand of the item text', async () => {
    const item = await f.store.items.get('0');
    assert.equal(item?.attributes?.asin, 'B00TNNWMXI');
    assert.equal(item?.category?.[0], 'Industrial & Scientific');
    assert.ok((item?.title.length ?? 0) > 0);
    assert.ok(item?.description?.startsWith(item.title));
  });

  it('adds nothing when imported again', () => assertReimportAddsNothing(f, 'scientific'));
});

describe('import lastfm-2k', { skip: noData }, () => {
  const f = fixture('lastfm-2k');

  it('has 1,892 users, 17,632 artists (+ placeholders), plays, tags and follows', () => {
    assert.equal(f.stats.users, 1_892);
    assert.equal(f.report.notes.placeholderArtists, 390);
    assert.deepEqual(f.stats.eventsByType, { follow: 25_434, play: 92_834, tag: 186_479 });
    assert.deepEqual(perScenario(f.stats), {
      music: { items: 17_632 + 390, users: 1_892, events: 92_834 + 186_479 },
      social: { items: 1_892, users: 1_892, events: 25_434 },
    });
    assert.deepEqual(f.stats.eventsBySplit, { none: 92_834 + 186_479 + 25_434 });
  });

  it('keeps play counts, dated tag texts (Latin-1 decoded) and artist tags', async () => {
    const events = await f.store.events.ofUser('2', { scenario: 'music' });
    const play = events.find((e) => e.type === 'play' && e.item === '51');
    assert.equal(play?.value, 13_883);
    const tag = events.find((e) => e.type === 'tag' && e.item === '52');
    assert.equal(tag?.ts, Date.UTC(2009, 3, 1));
    assert.ok(tag?.text);
    const latin1 = await f.store.events.ofUser('637', { scenario: 'music' });
    assert.ok(latin1.some((e) => e.item === '7215' && e.text === 'rock français'));
    const metallica = await f.store.items.get('707');
    assert.equal(metallica?.title, 'Metallica');
    assert.ok(metallica?.tags?.includes('metal'));
    assert.ok((metallica?.tags?.length ?? 0) <= 10);
    const follows = await f.store.events.ofUser('2', { scenario: 'social' });
    assert.ok(follows.some((e) => e.item === 'user:275' && e.type === 'follow'));
  });

  it('adds nothing when imported again', () => assertReimportAddsNothing(f, 'lastfm-2k'));
});

describe('import beauty', { skip: noData }, () => {
  const f = fixture('beauty');

  it('has 22,363 users, 12,101 items and 198,502 events, leave-one-out split', async () => {
    assert.deepEqual(perScenario(f.stats), { beauty: { items: 12_101, users: 22_363, events: 198_502 } });
    assert.deepEqual(f.stats.eventsBySplit, { test: 22_363, train: 198_502 - 2 * 22_363, valid: 22_363 });
    const first = dataLines(join(DATA, 'beauty', 'Beauty.txt'), false)[0]!.split(' ');
    assert.deepEqual(
      (await f.store.events.ofUser(first[0]!)).map((e) => e.item),
      first.slice(1),
    );
    assert.deepEqual((await f.store.items.get('4'))?.tags, ['attr:1', 'attr:2', 'attr:3']);
  });

  it('adds nothing when imported again', () => assertReimportAddsNothing(f, 'beauty'));
});

describe('import guards', { skip: noData }, () => {
  it('refuses a second shared dataset in the same store (item ids would collide)', async () => {
    const store = new SqliteStore(join(tmp.dir, 'mixed.db'));
    try {
      await importDataset(store, 'scientific', join(DATA, 'scientific'));
      await assert.rejects(importDataset(store, 'beauty', join(DATA, 'beauty')), { code: 'CONFLICT' });
    } finally {
      await store.close();
    }
  });

  it('names the missing file of a dataset folder', async () => {
    const store = new SqliteStore(join(tmp.dir, 'missing.db'));
    try {
      await assert.rejects(importDataset(store, 'beauty', join(DATA, 'scientific')), {
        code: 'NOT_FOUND',
        field: 'path',
      });
      await assert.rejects(importDataset(store, 'movielens', DATA), {
        code: 'INVALID_INPUT',
        field: 'format',
      });
    } finally {
      await store.close();
    }
  });
});
