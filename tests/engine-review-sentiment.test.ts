/**
 * Sentiment of Chinese comment text by a generator behind a fake OpenAI-compatible server: a
 * complaint that no lexicon word gives away turns the event negative once the model has read it,
 * and a model that hangs, answers garbage or is not there holds up neither the event nor the
 * recommendation and leaves the score the lexicon's (neutral here).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { writeDemo } from '../src/demo/build.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

type Mode = 'reads' | 'hang' | 'garbage';
let mode: Mode = 'reads';
/** the review texts the fake model was asked about */
const asked: string[] = [];

const COMPLAINT = '锅底一下子就粘了，涂层掉得厉害';
const WOK = 'shop-zh-kitchen-1';
const TEA = 'shop-zh-tea-1';

function answer(res: ServerResponse, content: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
}

describe('review sentiment from a generator (fake OpenAI-compatible server)', () => {
  let dir: string;
  let store: SqliteStore;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const messages = (JSON.parse(body) as { messages: { content: string }[] }).messages;
      if (!messages[0]!.content.includes('rate the sentiment')) return answer(res, 'Fine.');
      asked.push(messages[1]!.content);
      if (mode === 'hang') return; // never answers; the client gives up or is closed
      if (mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"choices": [{"message": ');
        return;
      }
      answer(res, messages[1]!.content.includes('涂层') ? '-0.8' : '0.6');
    });
  });
  let url = '';
  let user = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-review-sentiment-'));
    store = new SqliteStore(join(dir, 'demo.db'));
    await writeDemo(store, { users: 8, lang: 'zh' });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const engineWith = (generator: Record<string, unknown>) =>
    createEngine(parseConfig({ generator }), { store, encoder: null, onWarning: () => {} });

  /** a new user who bought tea and complained about the wok; the items of their interests */
  async function complain(engine: Engine): Promise<{ id: string; items: () => Promise<string[]> }> {
    const id = `zh-critic-${++user}`;
    const ts = Date.now();
    await engine.addEvent({ id: `${id}-1`, user: id, item: TEA, scenario: 'shop', type: 'purchase', ts });
    await engine.addEvent({
      id: `${id}-2`,
      user: id,
      item: WOK,
      scenario: 'shop',
      type: 'comment',
      text: COMPLAINT,
      ts: ts + 1,
    });
    const items = async () => (await engine.profile(id)).fused.flatMap((i) => i.topItems);
    return { id, items };
  }

  /** the user's recommendations come back in full */
  async function served(engine: Engine, id: string): Promise<void> {
    const res = await engine.recommend({ user: id, scenario: 'shop', n: 5 });
    assert.equal(res.items.length, 5);
  }

  async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`never: ${what}`);
  }

  test('without a generator the complaint reads neutral: the wok stays among the user’s interests', async () => {
    const engine = await engineWith({});
    try {
      const { id, items } = await complain(engine);
      assert.ok((await items()).includes(WOK));
      await served(engine, id);
    } finally {
      await engine.close();
    }
  });

  test('the model’s score lands in the background and the complaint then pushes the wok out', async () => {
    mode = 'reads';
    asked.length = 0;
    const engine = await engineWith({ provider: 'openai', url, model: 'fake', retries: 0 });
    try {
      const { id, items } = await complain(engine);
      await served(engine, id);
      await until(async () => !(await items()).includes(WOK), 'the wok leaves the profile');
      assert.ok((await items()).includes(TEA), 'the purchase still counts');
      assert.deepEqual(asked, [COMPLAINT], 'only the non-English text was asked, once');
    } finally {
      await engine.close();
    }
  });

  test('generator.sentiment false: the text is never sent', async () => {
    asked.length = 0;
    const engine = await engineWith({ provider: 'openai', url, model: 'fake', retries: 0, sentiment: false });
    try {
      const { id, items } = await complain(engine);
      await served(engine, id);
      assert.ok((await items()).includes(WOK));
      assert.deepEqual(asked, []);
    } finally {
      await engine.close();
    }
  });

  for (const m of ['hang', 'garbage', 'unreachable'] as const) {
    test(`a generator that ${m === 'hang' ? 'hangs' : m === 'garbage' ? 'answers garbage' : 'is unreachable'} holds up nothing and changes no weight`, async () => {
      mode = m === 'unreachable' ? 'reads' : m;
      asked.length = 0;
      // a minute per call: an event or a recommendation that waited for it would time the test out
      const engine = await engineWith({
        provider: 'openai',
        url: m === 'unreachable' ? 'http://127.0.0.1:9/v1' : url,
        model: 'fake',
        retries: 0,
        timeoutMs: 60_000,
      });
      try {
        const { id, items } = await complain(engine);
        await served(engine, id);
        if (m !== 'unreachable') await until(() => asked.length > 0, 'the model was asked');
        await served(engine, id);
        assert.ok((await items()).includes(WOK), 'the lexicon’s neutral score stands');
        await engine.addEvent({
          id: `${id}-3`,
          user: id,
          item: WOK,
          scenario: 'shop',
          type: 'view',
          ts: Date.now(),
        });
        await served(engine, id);
      } finally {
        await engine.close();
      }
    });
  }
});
