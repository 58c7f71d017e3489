import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Item, itemSchema, scenarioSchema } from '../core/types.ts';
import { ENRICH_NAMESPACE } from '../encode/catalog.ts';
import { unifiedText } from '../encode/template.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { createGenerator } from './create.ts';
import { enrichCatalog, parseEnrichment, type StoredEnrichment } from './enrich.ts';
import { createOpenAIGenerator } from './openai.ts';
import { describeInterest, summariseInterest, termStats } from './summarise.ts';

type Body = { model: string; messages: { role: string; content: string }[] };
/** A local fake of an OpenAI-compatible chat server; each test sets `reply`. */
let reply: (body: Body, res: ServerResponse) => void;
let server: Server;
let base = '';
let calls = 0;

const answer = (res: ServerResponse, content: unknown) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }] }));
};

before(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      calls++;
      reply(JSON.parse(raw) as Body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-gen-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function storeWith(items: Item[]): Promise<SqliteStore> {
  const store = new SqliteStore(join(dir, `g${n++}.db`));
  await store.scenarios.upsert([scenarioSchema.parse({ id: 'shop', kind: 'ecommerce' })]);
  await store.items.upsert(items);
  return store;
}

const items = [
  { id: 'i1', scenario: 'shop', title: 'Chemex 6-Cup Classic Series Glass Coffee Maker' },
  { id: 'i2', scenario: 'shop', title: 'Lodge cast iron skillet', description: 'A skillet.' },
  { id: 'i3', scenario: 'shop', title: 'Complete item', description: 'Has all.', tags: ['x'] },
].map((i) => itemSchema.parse(i));

const gen = () =>
  createOpenAIGenerator({ url: base, model: 'fake', timeoutMs: 300, retries: 1, backoffMs: 5 });

describe('enrichment by a generative model', () => {
  test('fills only what items lack, marks it generated, caches it, and the template reads it', async () => {
    reply = (body, res) => {
      const asksDescription = body.messages[1]!.content.includes('"description"');
      answer(
        res,
        '```json\n' +
          JSON.stringify({
            ...(asksDescription ? { description: 'A pour-over glass coffee brewer.' } : {}),
            keywords: ['coffee', 'brewing'],
          }) +
          '\n```',
      );
    };
    const store = await storeWith(items);
    calls = 0;
    const r = await enrichCatalog(store, gen());
    assert.deepEqual(r, { considered: 2, generated: 2, cached: 0, failed: 0, interrupted: false });
    const e1 = JSON.parse(
      new TextDecoder().decode(await store.blobs.get(ENRICH_NAMESPACE, 'i1')),
    ) as StoredEnrichment;
    assert.equal(e1.generated, true);
    assert.match(e1.by, /^openai:fake@/);
    assert.equal(e1.description, 'A pour-over glass coffee brewer.');
    const e2 = JSON.parse(
      new TextDecoder().decode(await store.blobs.get(ENRICH_NAMESPACE, 'i2')),
    ) as StoredEnrichment;
    assert.equal(e2.description, undefined, 'i2 has a description: only keywords were asked for');
    assert.equal((await store.items.get('i1'))!.description, undefined, 'the source item is untouched');
    const text = unifiedText(items[0]!, undefined, { enrichment: e1 });
    assert.match(text, /pour-over glass coffee brewer/);
    const callsBefore = calls;
    const again = await enrichCatalog(store, gen());
    assert.equal(again.cached, 2);
    assert.equal(calls, callsBefore, 'cached: no second request');
    await store.close();
  });

  test('malformed replies and timeouts fail single items; the run goes on and loses nothing', async () => {
    const store = await storeWith(items);
    reply = (body, res) => {
      if (body.messages[1]!.content.includes('Chemex')) return; // never answers: times out
      answer(res, 'Sure! Here are some keywords: coffee, iron'); // no JSON
    };
    const failures: string[] = [];
    const r = await enrichCatalog(store, gen(), { onFailure: (id) => failures.push(id) });
    assert.equal(r.failed, 2);
    assert.equal(r.generated, 0);
    assert.deepEqual(failures.sort(), ['i1', 'i2']);
    assert.equal(await store.items.count(), 3);
    assert.equal(await store.blobs.count(ENRICH_NAMESPACE), 0);
    await store.close();
  });

  test('parseEnrichment rejects replies without the requested fields', () => {
    assert.throws(() => parseEnrichment('{"foo": 1}', ['description']), { code: 'GENERATOR_UNAVAILABLE' });
    assert.throws(() => parseEnrichment('{not json}', ['keywords']), { code: 'GENERATOR_UNAVAILABLE' });
    assert.deepEqual(parseEnrichment('Here: {"keywords": ["a", "a", 3, "b"]}', ['keywords']), {
      keywords: ['a', 'b'],
    });
  });

  test('createGenerator: none gives no model', () => {
    const cfg = {
      provider: 'none',
      url: '',
      model: '',
      apiKey: '',
      timeoutMs: 1000,
      retries: 0,
      enrich: false,
    } as const;
    assert.equal(createGenerator(cfg), undefined);
    const g = createGenerator({ ...cfg, provider: 'openai', url: 'http://127.0.0.1:1/v1', model: 'm' });
    assert.equal(g?.id, 'openai:m@127.0.0.1:1');
  });
});

describe('interest summaries', () => {
  const music = [
    {
      id: 'a1',
      scenario: 'music',
      title: 'Jimi Hendrix',
      tags: ['classic rock', 'blues', 'guitar virtuoso', 'seen live'],
    },
    {
      id: 'a2',
      scenario: 'music',
      title: 'Stevie Ray Vaughan',
      tags: ['blues', 'guitar virtuoso', 'seen live'],
    },
    { id: 'a3', scenario: 'music', title: 'Eric Clapton', tags: ['blues', 'classic rock', 'seen live'] },
  ].map((i) => itemSchema.parse(i));
  const others = Array.from({ length: 20 }, (_, i) =>
    itemSchema.parse({
      id: `o${i}`,
      scenario: 'music',
      title: `Band ${i}`,
      tags: ['seen live', i % 2 ? 'pop' : 'indie'],
    }),
  );

  test('without a model: the most characteristic tags, common ones pushed down by the background', () => {
    const s = describeInterest({ items: music, background: termStats([...music, ...others]) });
    assert.equal(s.generated, false);
    assert.equal(s.terms[0], 'blues');
    assert.ok(s.terms.indexOf('seen live') === -1 || s.terms.indexOf('seen live') > 2);
    assert.match(s.text, /^Blues, /);
    assert.match(s.text, /e\.g\. Jimi Hendrix/);
    assert.deepEqual(describeInterest({ items: music }), describeInterest({ items: music }), 'deterministic');
  });

  test('with a model: its sentence; when it times out or talks nonsense: the fallback', async () => {
    reply = (_b, res) => answer(res, '"Bluesy guitar heroes of the sixties and seventies"');
    const s = await summariseInterest({ items: music }, { generator: gen() });
    assert.equal(s.generated, true);
    assert.equal(s.text, 'Bluesy guitar heroes of the sixties and seventies');
    reply = () => {}; // never answers
    const t = await summariseInterest({ items: music }, { generator: gen() });
    assert.equal(t.generated, false);
    assert.deepEqual(t, describeInterest({ items: music }));
    reply = (_b, res) => answer(res, 42);
    assert.equal((await summariseInterest({ items: music }, { generator: gen() })).generated, false);
  });
});
