import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Item, itemSchema } from '../core/types.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { dot, l2normalise } from './batch.ts';
import { openEmbeddingCache } from './cache.ts';
import { encodeCatalog, encodeItems, loadItemVectors } from './catalog.ts';
import { fnv1a } from './fuse.ts';
import type { Encoder } from './types.ts';

/** A deterministic bag-of-words encoder that counts its calls: the model stand-in for unit tests. */
function countingEncoder(dim = 64): Encoder & { calls: number; texts: number } {
  const e = {
    id: 'bow-test@1',
    dim,
    calls: 0,
    texts: 0,
    async encode(texts: readonly string[]) {
      e.calls++;
      e.texts += texts.length;
      return texts.map((t) => {
        const v = new Float32Array(dim);
        for (const w of t.toLowerCase().split(/\W+/).filter(Boolean)) v[fnv1a(w) % dim]! += 1;
        return l2normalise(v);
      });
    },
    close: async () => {},
  };
  return e;
}

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-encode-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshStore = () => new SqliteStore(join(dir, `s${n++}.db`));

const items: Item[] = [
  { id: 'a', scenario: 'shop', title: 'electric guitar strings', tags: ['music', 'strings'] },
  { id: 'b', scenario: 'shop', title: 'kitchen knife set', category: ['Home', 'Kitchen'] },
  { id: 'c', scenario: 'music', title: 'rock guitar album', audio: { descriptors: { genre: 'rock' } } },
].map((i) => itemSchema.parse(i));

async function seeded(): Promise<SqliteStore> {
  const store = freshStore();
  await store.scenarios.upsert([
    { id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false },
    { id: 'music', kind: 'music', eventWeights: {}, allowRepeats: true },
  ]);
  await store.items.upsert(items);
  return store;
}

describe('encodeCatalog', () => {
  test('encodes every item and loadItemVectors returns unit rows in id order', async () => {
    const store = await seeded();
    const enc = countingEncoder();
    const r = await encodeCatalog(store, enc);
    assert.equal(r.items, 3);
    assert.equal(r.updated, 3);
    assert.equal(r.modelTexts, 3);
    const iv = await loadItemVectors(store, enc.id);
    assert.deepEqual(iv.ids, ['a', 'b', 'c']);
    assert.equal(iv.dim, 64);
    assert.equal(iv.vectors.length, 3 * 64);
    for (let r2 = 0; r2 < 3; r2++) {
      const row = iv.vectors.subarray(r2 * 64, (r2 + 1) * 64);
      assert.ok(Math.abs(dot(row, row) - 1) < 1e-5);
    }
    const some = await loadItemVectors(store, enc.id, { ids: ['c', 'zzz', 'a'] });
    assert.deepEqual(some.ids, ['c', 'a']);
    await store.close();
  });

  test('an unchanged catalog makes zero model calls; a changed item is re-encoded alone', async () => {
    const store = await seeded();
    const enc = countingEncoder();
    await encodeCatalog(store, enc);
    const callsAfterFirst = enc.calls;
    const again = await encodeCatalog(store, enc);
    assert.equal(enc.calls, callsAfterFirst, 'no model call for an unchanged catalog');
    assert.equal(again.unchanged, 3);
    assert.equal(again.updated, 0);
    const before = (await loadItemVectors(store, enc.id, { ids: ['b'] })).vectors.slice();
    await store.items.upsert([{ ...items[1]!, title: 'chef knife block' }]);
    const third = await encodeCatalog(store, enc);
    assert.equal(third.updated, 1);
    assert.equal(third.modelTexts, 1);
    const afterV = (await loadItemVectors(store, enc.id, { ids: ['b'] })).vectors;
    assert.notDeepEqual(afterV, before);
    await store.close();
  });

  test('a changed fusion weight re-fuses from the text cache without model calls', async () => {
    const store = await seeded();
    const enc = countingEncoder();
    await encodeCatalog(store, enc);
    const calls = enc.calls;
    const r = await encodeCatalog(store, enc, {
      fusion: { text: 1, image: 0.2, audio: 0.9, ngram: 1, minCoverage: 0.8 },
    });
    assert.equal(r.updated, 3);
    assert.equal(r.cacheHits, 3);
    assert.equal(enc.calls, calls);
    await store.close();
  });

  test('vectors of deleted items are removed by a full run', async () => {
    const store = await seeded();
    const enc = countingEncoder();
    await encodeCatalog(store, enc);
    await store.items.delete('b');
    const r = await encodeCatalog(store, enc);
    assert.equal(r.removed, 1);
    assert.deepEqual((await loadItemVectors(store, enc.id)).ids, ['a', 'c']);
    await store.close();
  });

  test('a shared cache file spares a second database every model call', async () => {
    const cachePath = join(dir, 'cache', 'embeddings.db');
    const enc = countingEncoder();
    const s1 = await seeded();
    const c1 = openEmbeddingCache(s1, cachePath);
    await encodeCatalog(s1, enc, { cache: c1 });
    await c1.close();
    assert.equal(await s1.blobs.count('emb:bow-test@1'), 0, 'text vectors went to the cache file');
    const calls = enc.calls;
    const s2 = await seeded();
    const c2 = openEmbeddingCache(s2, cachePath);
    const r = await encodeCatalog(s2, enc, { cache: c2 });
    assert.equal(enc.calls, calls);
    assert.equal(r.cacheHits, 3);
    assert.equal((await loadItemVectors(s2, enc.id)).ids.length, 3);
    await c2.close();
    await s1.close();
    await s2.close();
  });

  test('an interrupted run stops after the pages in flight and a rerun finishes the rest', async () => {
    const store = await seeded();
    const enc = countingEncoder();
    const ctl = new AbortController();
    const r1 = await encodeCatalog(store, enc, {
      pageSize: 1,
      signal: ctl.signal,
      onProgress: (p) => {
        if (p.done === 1) ctl.abort();
      },
    });
    assert.equal(r1.interrupted, true);
    assert.equal(r1.items, 2, 'the page in flight when the signal came is finished, no more');
    assert.equal((await loadItemVectors(store, enc.id)).ids.length, 2);
    const r2 = await encodeCatalog(store, enc, { pageSize: 1 });
    assert.equal(r2.interrupted, false);
    assert.equal(r2.unchanged, 2);
    assert.equal(r2.updated, 1);
    await store.close();
  });

  test('encodeItems is incremental for upserts and rejects an encoder returning too few vectors', async () => {
    const store = await seeded();
    const enc = countingEncoder();
    const r = await encodeItems(store, enc, items.slice(0, 2));
    assert.equal(r.updated, 2);
    const broken: Encoder = { ...enc, id: 'broken@1', encode: async () => [] };
    await assert.rejects(encodeItems(store, broken, items), { code: 'ENCODER_UNAVAILABLE' });
    await store.close();
  });

  test('without a warning callback, unreadable text warns once per encoder on the process channel', async () => {
    const store = await seeded();
    const blind = { ...countingEncoder(), id: 'blind@1', coverage: () => 0 };
    const seen: Error[] = [];
    const listener = (w: Error) => {
      if ((w as Error & { code?: string }).code === 'FUSIONREC_UNREADABLE_TEXT') seen.push(w);
    };
    process.on('warning', listener);
    try {
      const r = await encodeCatalog(store, blind);
      await encodeItems(store, { ...blind, encode: blind.encode }, [{ ...items[0]!, title: 'changed' }]);
      await new Promise((res) => setImmediate(res));
      assert.equal(r.unreadable, 3);
      assert.equal(seen.length, 1);
      assert.match(seen[0]!.message, /multilingual model/);
    } finally {
      process.off('warning', listener);
      await store.close();
    }
  });

  test('one warning per catalog names the encoder, the languages it cannot read and how many items', async () => {
    const store = await seeded();
    const zh = ['不粘锅炒锅', '铸铁平底锅', '玻璃茶壶', '陶瓷马克杯'].map((title, i) =>
      itemSchema.parse({ id: `zh${i}`, scenario: 'shop', title }),
    );
    await store.items.upsert([
      ...zh,
      itemSchema.parse({ id: 'ru', scenario: 'shop', title: 'чугунная сковорода' }),
    ]);
    // an English-only model: reads ASCII alone
    const english = {
      ...countingEncoder(),
      id: 'english-only@1',
      coverage: (t: string) => (/^[\x20-\x7e]*$/.test(t) ? 1 : 0),
    };
    const warnings: string[] = [];
    const r = await encodeCatalog(store, english, { pageSize: 2, onWarning: (m) => warnings.push(m) });
    assert.equal(r.unreadable, 5);
    assert.deepEqual(r.unreadableLanguages, { Chinese: 4, Cyrillic: 1 });
    assert.equal(warnings.length, 1, 'once for the catalog, not once per page');
    assert.match(
      warnings[0]!,
      /^encoder english-only@1 cannot read Chinese, Cyrillic text of 5 of 8 items \(62\.5%\)/,
    );
    assert.match(warnings[0]!, /multilingual/);
    await store.close();
  });

  test('a failing model call fails the run without leaving the other page unobserved', async () => {
    const store = await seeded();
    let n = 0;
    const flaky: Encoder = {
      ...countingEncoder(),
      id: 'flaky@1',
      encode: async (texts) => {
        n++;
        if (n === 2) throw new Error('model crashed');
        return countingEncoder().encode(texts);
      },
    };
    await assert.rejects(encodeCatalog(store, flaky, { pageSize: 1 }), /model crashed/);
    const r = await encodeCatalog(store, { ...flaky, encode: countingEncoder().encode }, { pageSize: 1 });
    assert.equal(r.updated + r.unchanged, 3);
    assert.equal((await loadItemVectors(store, 'flaky@1')).ids.length, 3);
    await store.close();
  });
});
