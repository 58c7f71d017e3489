import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { configSchema } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { dot, l2normalise } from './batch.ts';
import { openEmbeddingCache } from './cache.ts';
import { encoderContract } from './contract.ts';
import { createEncoder } from './create.ts';
import {
  countVocabulary,
  createDistilledEncoder,
  type DistilledTable,
  distilEncoder,
  loadTable,
  saveTable,
  tableBytes,
  tableFromBytes,
} from './distil.ts';
import { fnv1a } from './fuse.ts';
import type { Encoder } from './types.ts';

/** words that mean the same thing share a vector in the stand-in source model */
const SYNONYMS: Record<string, string> = { skillet: 'pan', frying: 'pan', wok: 'pan', axe: 'guitar' };

/**
 * The full-model stand-in: each word (synonyms folded) gets a pseudo-random direction, a text is
 * their normalised sum; English letters only (a word in another script is "unreadable"); counts the
 * texts it is sent.
 */
function sourceEncoder(dim = 48): Encoder & { texts: number } {
  const wordVector = (w: string) => {
    const v = new Float32Array(dim);
    const key = SYNONYMS[w] ?? w;
    for (let j = 0; j < dim; j++) v[j] = Math.sin(fnv1a(`${key}:${j}`) % 1000) + 0.3;
    return v;
  };
  const e = {
    id: 'source-test@1',
    dim,
    texts: 0,
    coverage: (t: string) => {
      const letters = t.match(/\p{L}/gu) ?? [];
      return letters.length === 0 ? 1 : letters.filter((c) => /[a-z]/i.test(c)).length / letters.length;
    },
    async encode(texts: readonly string[]) {
      e.texts += texts.length;
      return texts.map((t) => {
        const v = new Float32Array(dim);
        for (const w of t.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
          const u = wordVector(w);
          for (let j = 0; j < dim; j++) v[j]! += u[j]!;
        }
        if (!v.some((x) => x !== 0)) v[0] = 1;
        return l2normalise(v);
      });
    },
    close: async () => {},
  };
  return e;
}

const CATALOG = [
  'cast iron skillet for the kitchen',
  'non-stick frying pan for the kitchen',
  'carbon steel wok for the kitchen',
  'electric guitar strings, set of 6',
  'acoustic guitar with case',
  'rock axe: a red electric guitar',
  'coffee beans, dark roast',
  'ground coffee, medium roast',
  'rock guitar album',
  'kitchen knife set',
  'Lavazza ground coffee, pack of 4',
  'A long description of a stainless steel pocket dial thermometer with a five inch stem and a wide range',
  '不粘锅炒锅',
];

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-distil-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let shared: DistilledTable | undefined;
async function table(): Promise<DistilledTable> {
  shared ??= await distilEncoder(sourceEncoder(), CATALOG, { dims: 16 });
  return shared;
}

encoderContract('distilled', async () => createDistilledEncoder(await table()));

describe('distilEncoder', () => {
  test('counts words as the tokeniser folds them, most frequent first', () => {
    const { entries, total } = countVocabulary(['Kitchen knife', 'kitchen PAN, pan', 'pan'], { minCount: 2 });
    assert.deepEqual(entries, [
      { word: 'pan', count: 3 },
      { word: 'kitchen', count: 2 },
    ]);
    assert.equal(total, 6);
  });

  test('embeds each word once, reduces to the asked dimension, leaves out words the source cannot read', async () => {
    const src = sourceEncoder();
    const t = await distilEncoder(src, CATALOG, { dims: 16 });
    const vocabulary = countVocabulary(CATALOG).entries;
    assert.equal(t.source, 'source-test@1');
    assert.equal(t.dim, 16);
    assert.equal(t.vectors.length, t.tokens.length * 16);
    assert.ok(t.tokens.includes('skillet') && t.tokens.includes('kitchen'));
    assert.ok(
      !t.tokens.some((w) => /\p{Script=Han}/u.test(w)),
      'Chinese words are left out for an English source',
    );
    assert.equal(t.tokens.length, vocabulary.length - 2, 'all but 不粘锅 and 炒锅');
    assert.equal(src.texts, t.tokens.length + 1, 'one source text per word, plus the empty text');
    // the distilled encoder says which text it cannot read: the n-gram channel takes over there
    const e = createDistilledEncoder(t);
    assert.equal(e.coverage!('cast iron skillet'), 1);
    assert.equal(e.coverage!('不粘锅炒锅'), 0);
  });

  test('a frequent word weighs less than a rare one (SIF)', async () => {
    const t = await table();
    const norm = (w: string) => {
      const i = t.tokens.indexOf(w);
      const v = t.vectors.subarray(i * t.dim, (i + 1) * t.dim);
      return Math.sqrt(dot(v, v));
    };
    // "kitchen" appears 4 times, "thermometer" once; both unit length before weighting
    assert.ok(norm('kitchen') < norm('thermometer'));
  });

  test('keeps what the source knows: synonyms without shared words stay close', async () => {
    const e = createDistilledEncoder(await table());
    const [skillet, wok, strings] = await e.encode([
      'cast iron skillet',
      'carbon steel wok',
      'guitar strings',
    ]);
    assert.ok(
      dot(skillet!, wok!) > dot(skillet!, strings!) + 0.2,
      `${dot(skillet!, wok!)} vs ${dot(skillet!, strings!)}`,
    );
  });

  test('word vectors come from the cache on a rebuild', async () => {
    const store = new SqliteStore(join(dir, 'cache.db'));
    const cache = openEmbeddingCache(store, '');
    const first = sourceEncoder();
    const a = await distilEncoder(first, CATALOG, { dims: 16, cache, batch: 5 });
    const second = sourceEncoder();
    const b = await distilEncoder(second, CATALOG, { dims: 16, cache, batch: 5 });
    assert.equal(second.texts, 1, 'only the empty text again');
    assert.deepEqual(b.vectors, a.vectors);
    await store.close();
  });

  test('an aborted build stops before calling the source', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await assert.rejects(distilEncoder(sourceEncoder(), CATALOG, { signal: ctl.signal }));
  });

  test('an unreadable catalog is a clear error', async () => {
    await assert.rejects(distilEncoder(sourceEncoder(), ['炒锅', '平底锅']), (e: unknown) => {
      assert.ok(e instanceof RecError && e.code === 'INVALID_INPUT');
      assert.match(e.message, /no word of the catalog is readable by source-test@1/);
      return true;
    });
  });
});

describe('distilled table storage', () => {
  test('round-trips through bytes and the store; the encoder id changes with the table', async () => {
    const t = await table();
    const back = tableFromBytes(tableBytes(t));
    assert.deepEqual(back.tokens, t.tokens);
    assert.deepEqual(back.vectors, t.vectors);
    assert.deepEqual(back.empty, t.empty);
    assert.equal(createDistilledEncoder(back).id, createDistilledEncoder(t).id);
    assert.match(createDistilledEncoder(t).id, /^distil\(source-test@1\)#[0-9a-f]{12}$/);
    const other = await distilEncoder(sourceEncoder(), CATALOG.slice(0, 6), { dims: 16 });
    assert.notEqual(createDistilledEncoder(other).id, createDistilledEncoder(t).id);

    const store = new SqliteStore(join(dir, 'table.db'));
    await saveTable(store.blobs, 'use', t);
    const loaded = await loadTable(store.blobs, 'use');
    assert.deepEqual(loaded.vectors, t.vectors);
    await store.close();
  });

  test('damaged bytes are a clear error naming the rebuild', () => {
    const bytes = tableBytes(shared!);
    assert.throws(
      () => tableFromBytes(bytes.subarray(0, bytes.length - 8)),
      /distilled table is unreadable: expected \d+ numbers; rebuild it with `fusionrec distil`/,
    );
    assert.throws(() => tableFromBytes(new Uint8Array([1, 0, 0, 0, 0x7b])), /header is not JSON/);
  });

  test('provider "distilled" loads the stored table, or says to run fusionrec distil', async () => {
    const store = new SqliteStore(join(dir, 'provider.db'));
    const cfg = configSchema.parse({ encoder: { provider: 'distilled' } }).encoder;
    await assert.rejects(createEncoder(cfg, { blobs: store.blobs }), (e: unknown) => {
      assert.ok(e instanceof RecError && e.code === 'ENCODER_UNAVAILABLE');
      assert.match(
        e.message,
        /no distilled encoder table from "use" in the store; build one with `fusionrec distil`/,
      );
      return true;
    });
    await saveTable(store.blobs, 'use', await table());
    const e = await createEncoder(cfg, { blobs: store.blobs });
    assert.equal(e.id, createDistilledEncoder(await table()).id);
    await e.close();
    await store.close();
  });
});
