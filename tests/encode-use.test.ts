/**
 * The default encoder (real Universal Sentence Encoder Lite weights) end to end: unified text,
 * fusion and cache, on hand-made items and on real items of the shared datasets.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Item, type ItemInput, itemSchema, type Scenario, scenarioSchema } from '../src/core/types.ts';
import { dot } from '../src/encode/batch.ts';
import { encodeCatalog, loadItemVectors } from '../src/encode/catalog.ts';
import { encoderContract } from '../src/encode/contract.ts';
import type { Encoder } from '../src/encode/types.ts';
import { createUseEncoder } from '../src/encode/use.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const DATA = join(import.meta.dirname, '..', '..', 'shared', 'data');
const dir = mkdtempSync(join(tmpdir(), 'fusionrec-use-'));
let encoder: Encoder;
let calls = 0;
/** the real encoder, wrapped to count model calls */
let counted: Encoder;

before(async () => {
  encoder = await createUseEncoder({ threads: 1 });
  counted = {
    id: encoder.id,
    dim: encoder.dim,
    coverage: (t) => encoder.coverage!(t),
    encode: (texts) => {
      calls++;
      return encoder.encode(texts);
    },
    close: async () => {},
  };
});
after(async () => {
  await encoder.close();
  rmSync(dir, { recursive: true, force: true });
});

encoderContract('use (USE Lite, real weights)', () => encoder, { tolerance: 1e-3 });

const scenarios: Scenario[] = [
  scenarioSchema.parse({ id: 'music', kind: 'music' }),
  scenarioSchema.parse({ id: 'shop', kind: 'ecommerce' }),
  scenarioSchema.parse({ id: 'food', kind: 'ecommerce' }),
  scenarioSchema.parse({ id: 'kitchen', kind: 'ecommerce' }),
  scenarioSchema.parse({ id: 'scientific', kind: 'ecommerce' }),
];

let storeNo = 0;
/** Encodes the items through the whole write path and returns their vectors by id. */
async function vectorsOf(inputs: readonly ItemInput[]): Promise<Map<string, Float32Array>> {
  const store = new SqliteStore(join(dir, `s${storeNo++}.db`));
  await store.scenarios.upsert(scenarios);
  await store.items.upsert(inputs.map((i) => itemSchema.parse(i)));
  await encodeCatalog(store, counted);
  const iv = await loadItemVectors(store, counted.id);
  await store.close();
  return new Map(iv.ids.map((id, r) => [id, iv.vectors.slice(r * iv.dim, (r + 1) * iv.dim)]));
}

const cos = (m: Map<string, Float32Array>, a: string, b: string) => dot(m.get(a)!, m.get(b)!);

function foodKitchen(ids: string[]): ItemInput[] {
  const rows = readFileSync(join(DATA, 'food-kitchen', 'items.tsv'), 'utf8').split('\n');
  return ids.map((id) => {
    const row = rows.find((r) => r.startsWith(`${id}\t`));
    assert.ok(row, `food-kitchen item ${id}`);
    const [, domain, , title] = row.split('\t');
    return { id: `fk${id}`, scenario: domain!, title: title! };
  });
}

function scientific(asin: string): ItemInput {
  const row = readFileSync(join(DATA, 'scientific', 'Scientific.text'), 'utf8')
    .split('\n')
    .find((r) => r.startsWith(`${asin}\t`));
  assert.ok(row, `scientific item ${asin}`);
  return { id: `sci${asin}`, scenario: 'scientific', title: row.split('\t')[1]! };
}

/** A Last.fm artist with the tags its listeners gave it most, as the importer would build it. */
function lastfmArtist(artistId: string, nTags = 6): ItemInput {
  const name = readFileSync(join(DATA, 'lastfm-2k', 'artists.dat'), 'utf8')
    .split('\n')
    .find((r) => r.startsWith(`${artistId}\t`))
    ?.split('\t')[1];
  assert.ok(name, `lastfm artist ${artistId}`);
  const tagNames = new Map(
    readFileSync(join(DATA, 'lastfm-2k', 'tags.dat'), 'latin1')
      .split('\n')
      .slice(1)
      .map((r) => r.trim().split('\t') as [string, string]),
  );
  const counts = new Map<string, number>();
  for (const r of readFileSync(join(DATA, 'lastfm-2k', 'user_taggedartists.dat'), 'utf8').split('\n')) {
    const f = r.split('\t');
    if (f[1] === artistId) counts.set(f[2]!, (counts.get(f[2]!) ?? 0) + 1);
  }
  const tags = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, nTags)
    .map(([t]) => tagNames.get(t)!);
  return { id: `lfm${artistId}`, scenario: 'music', title: name, tags };
}

describe('USE Lite encoder, one semantic space across scenarios', () => {
  test('"rock guitar album" (music) is nearer "electric guitar strings" than "kitchen knife set" (shop)', async () => {
    const v = await vectorsOf([
      { id: 'album', scenario: 'music', title: 'rock guitar album' },
      { id: 'strings', scenario: 'shop', title: 'electric guitar strings' },
      { id: 'knives', scenario: 'shop', title: 'kitchen knife set' },
    ]);
    assert.ok(cos(v, 'album', 'strings') > cos(v, 'album', 'knives') + 0.05);
  });

  test('real items: food coffee ~ kitchen coffee maker; scientific thermometer ~ kitchen thermometer', async () => {
    const v = await vectorsOf([
      ...foodKitchen(['48', '8663', '8922', '8788', '9045']),
      scientific('B0002YTPDC'),
    ]);
    // Lavazza ground coffee (food) vs Keurig coffee maker / candy thermometer (kitchen)
    assert.ok(cos(v, 'fk48', 'fk8663') > cos(v, 'fk48', 'fk8922'));
    // Supco pocket dial thermometer (scientific) vs pocket test thermometer / Chemex coffee maker (kitchen)
    assert.ok(cos(v, 'sciB0002YTPDC', 'fk8788') > cos(v, 'sciB0002YTPDC', 'fk9045'));
  });

  test('real items: a Last.fm artist tagged christmas is nearer Christmas tea than plain coffee', async () => {
    const carpenters = lastfmArtist('3070', 10);
    assert.ok(carpenters.tags?.includes('christmas'), 'the data tags the Carpenters christmas');
    const v = await vectorsOf([carpenters, ...foodKitchen(['186', '165'])]);
    assert.ok(cos(v, 'lfm3070', 'fk186') > cos(v, 'lfm3070', 'fk165'));
  });

  test('real items: Jimi Hendrix (tags from the data) is nearer a guitar than a knife set', async () => {
    const v = await vectorsOf([
      lastfmArtist('1639'),
      { id: 'strings', scenario: 'shop', title: 'electric guitar strings' },
      { id: 'knives', scenario: 'shop', title: 'kitchen knife set' },
    ]);
    assert.ok(cos(v, 'lfm1639', 'strings') > cos(v, 'lfm1639', 'knives'));
  });
});

describe('fusion of modalities', () => {
  test('alike titles with different audio descriptors end nearer the items sharing the descriptors', async () => {
    const metal = {
      genre: 'heavy metal',
      mood: 'aggressive',
      instruments: 'distorted electric guitar, drums',
    };
    const ambient = { genre: 'ambient', mood: 'calm relaxing', instruments: 'soft piano, strings' };
    const v = await vectorsOf([
      { id: 'nd-metal', scenario: 'music', title: 'Night Drive', audio: { descriptors: metal } },
      { id: 'nd-ambient', scenario: 'music', title: 'Night Drive', audio: { descriptors: ambient } },
      { id: 'other-metal', scenario: 'music', title: 'Iron Fist', audio: { descriptors: metal } },
      { id: 'other-ambient', scenario: 'music', title: 'Still Water', audio: { descriptors: ambient } },
    ]);
    assert.ok(cos(v, 'nd-metal', 'other-metal') > cos(v, 'nd-metal', 'other-ambient'));
    assert.ok(cos(v, 'nd-ambient', 'other-ambient') > cos(v, 'nd-ambient', 'other-metal'));
    // the descriptors, not the title, decide: the two "Night Drive" items are told apart
    assert.ok(cos(v, 'nd-metal', 'nd-ambient') < 0.9);
  });

  test('alike titles with different numeric audio vectors end nearer the items sharing the vector', async () => {
    const a = Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
    const b = Array.from({ length: 16 }, (_, i) => Math.cos(3 * i + 2));
    const v = await vectorsOf([
      { id: 'x-a', scenario: 'music', title: 'Song', audio: { vector: a } },
      { id: 'x-b', scenario: 'music', title: 'Song', audio: { vector: b } },
      { id: 'y-a', scenario: 'music', title: 'Tune', audio: { vector: a.map((x) => x * 1.1) } },
      { id: 'y-b', scenario: 'music', title: 'Tune', audio: { vector: b } },
    ]);
    assert.ok(cos(v, 'x-a', 'y-a') > cos(v, 'x-a', 'y-b'));
    assert.ok(cos(v, 'x-b', 'y-b') > cos(v, 'x-b', 'y-a'));
  });

  test('two unrelated Chinese titles no longer collide, and a warning names the fix', async () => {
    const [t1, t2] = await encoder.encode(['红烧牛肉面', '不锈钢厨房刀具套装']);
    assert.ok(dot(t1!, t2!) > 0.95, 'the English model alone gives them (nearly) one vector');
    const store = new SqliteStore(join(dir, `s${storeNo++}.db`));
    await store.scenarios.upsert(scenarios);
    const items: Item[] = [
      { id: 'noodles', scenario: 'food', title: '红烧牛肉面' },
      { id: 'knives', scenario: 'kitchen', title: '不锈钢厨房刀具套装' },
      { id: 'noodles2', scenario: 'food', title: '牛肉面 五包装' },
    ].map((i) => itemSchema.parse(i));
    await store.items.upsert(items);
    const warnings: string[] = [];
    const r = await encodeCatalog(store, counted, { onWarning: (m) => warnings.push(m) });
    assert.equal(r.unreadable, 3);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /multilingual/);
    const iv = await loadItemVectors(store, counted.id);
    const row = (id: string) =>
      iv.vectors.subarray(iv.ids.indexOf(id) * iv.dim, (iv.ids.indexOf(id) + 1) * iv.dim);
    assert.ok(dot(row('noodles'), row('knives')) < 0.5);
    assert.ok(dot(row('noodles'), row('noodles2')) > dot(row('noodles'), row('knives')));
    await store.close();
  });
});

describe('cache with the real model', () => {
  test('encoding an unchanged real catalog a second time makes zero model calls', async () => {
    const store = new SqliteStore(join(dir, `s${storeNo++}.db`));
    await store.scenarios.upsert(scenarios);
    const ids = Array.from({ length: 30 }, (_, i) => String(i * 300));
    await store.items.upsert(foodKitchen(ids).map((i) => itemSchema.parse(i)));
    const first = await encodeCatalog(store, counted);
    assert.equal(first.modelTexts, 30);
    const before = calls;
    const second = await encodeCatalog(store, counted);
    assert.equal(calls, before);
    assert.equal(second.modelTexts, 0);
    assert.equal(second.unchanged, 30);
    await store.close();
  });
});
