/**
 * Chinese items by meaning: with a multilingual embedding server configured (an OpenAI-compatible
 * `/v1/embeddings`, here a fake one answering from a small hand-made table), two items that mean
 * the same thing are closer than unrelated ones, also when they share no character (土豆 / 马铃薯);
 * with an encoder that cannot read Chinese, the items fall back to character n-grams and the run
 * says so, naming the language and the fix.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '../src/config/schema.ts';
import { itemSchema } from '../src/core/types.ts';
import { dot, l2normalise } from '../src/encode/batch.ts';
import { encodeCatalog, loadItemVectors } from '../src/encode/catalog.ts';
import { createEncoder } from '../src/encode/create.ts';
import type { Encoder } from '../src/encode/types.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

/** the fake model's meanings: a word in any language points at its concept's axis */
const CONCEPTS: Record<string, number> = {
  炒锅: 0,
  平底锅: 0,
  煎锅: 0,
  wok: 0,
  土豆: 1,
  马铃薯: 1,
  potato: 1,
  登山鞋: 2,
  徒步: 2,
  hiking: 2,
  绿茶: 3,
  tea: 3,
};
const DIM = 8;

function meaning(text: string): number[] {
  const v = Array.from({ length: DIM }, (_, j) => 0.05 * Math.cos(j + text.length)); // a little noise
  for (const [word, axis] of Object.entries(CONCEPTS)) if (text.includes(word)) v[axis]! += 1;
  return v;
}

let server: Server;
let url = '';
before(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as { input: string[]; model: string };
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          object: 'list',
          model: body.model,
          data: body.input.map((t, index) => ({ object: 'embedding', index, embedding: meaning(t) })),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-zh-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ITEMS = [
  { id: 'wok', title: '不粘炒锅 32厘米' },
  { id: 'pan', title: '平底锅 家用' },
  { id: 'potato', title: '新鲜土豆 5斤' },
  { id: 'potato2', title: '黄心马铃薯' },
  { id: 'boots', title: '防水登山鞋 男款' },
].map((i) => itemSchema.parse({ ...i, scenario: 'shop' }));

async function vectorsWith(encoder: Encoder, warnings: string[] = []) {
  const store = new SqliteStore(join(dir, `${encoder.id.replace(/\W+/g, '-')}.db`));
  await store.items.upsert(ITEMS);
  await encodeCatalog(store, encoder, { onWarning: (m) => warnings.push(m) });
  const v = await loadItemVectors(store, encoder.id);
  await store.close();
  const byId = new Map(v.ids.map((id, r) => [id, v.vectors.subarray(r * v.dim, (r + 1) * v.dim)]));
  return (a: string, b: string) => dot(byId.get(a)!, byId.get(b)!);
}

/** An encoder that reads English only, as USE-Lite does: Chinese text is all "unknown". */
const englishOnly: Encoder = {
  id: 'english-only-test@1',
  dim: DIM,
  coverage: (t) => ((t.match(/[a-z]/gi) ?? []).length > 0 ? 1 : 0),
  encode: async (texts) => texts.map(() => l2normalise(Float32Array.from({ length: DIM }, (_, j) => 1 + j))),
  close: async () => {},
};

describe('Chinese items by meaning', () => {
  test('a multilingual embedding server puts 炒锅 near 平底锅 and 土豆 near 马铃薯', async () => {
    const cfg = configSchema.parse({ encoder: { provider: 'openai', url, model: 'multilingual-test' } });
    const encoder = await createEncoder(cfg.encoder);
    const warnings: string[] = [];
    const sim = await vectorsWith(encoder, warnings);
    assert.ok(
      sim('wok', 'pan') > sim('wok', 'boots') + 0.3,
      `${sim('wok', 'pan')} vs ${sim('wok', 'boots')}`,
    );
    assert.ok(sim('wok', 'pan') > sim('wok', 'potato') + 0.3);
    // no character in common, same meaning
    assert.ok(sim('potato', 'potato2') > sim('potato', 'boots') + 0.3);
    assert.deepEqual(warnings, [], 'a multilingual model reads Chinese: no fallback notice');
    await encoder.close();
  });

  test('an encoder that cannot read Chinese falls back to n-grams and says so once', async () => {
    const warnings: string[] = [];
    const sim = await vectorsWith(englishOnly, warnings);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /cannot read Chinese text of 5 of 5 items/);
    assert.match(warnings[0]!, /character n-gram channel instead \(words, not meaning\)/);
    assert.match(warnings[0]!, /configure a multilingual model/);
    // n-grams see characters, not meaning: the pair with no character in common is no closer than
    // an unrelated pair, where the multilingual server above separated them clearly
    assert.ok(sim('potato', 'potato2') < sim('potato', 'boots') + 0.3);
  });
});
