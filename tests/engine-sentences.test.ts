/**
 * Explanation sentences and interest summaries with a generator behind a fake OpenAI-compatible
 * server: an honest one is shown, a lying one is replaced by the template, and one that hangs,
 * answers garbage or is not there never holds up or breaks a recommendation or an explanation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { writeDemo } from '../src/demo/build.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { KnownNames, ungroundedNames } from '../src/generate/ground.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

type Mode = 'honest' | 'lying' | 'hang' | 'garbage';
let mode: Mode = 'honest';
let hung = 0;
let otherTitle = '';

function answer(res: ServerResponse, content: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
}

/** what a model would do with the facts it was given */
function reply(req: IncomingMessage, res: ServerResponse, body: string): void {
  const facts = (JSON.parse(body) as { messages: { content: string }[] }).messages[1]!.content;
  const cited = /the user engaged with: "([^"]+)"/.exec(facts)?.[1];
  const isSummary = facts.startsWith('Items in this interest');
  if (mode === 'hang') {
    // never answers; the request stays open until the client gives up
    hung++;
    req.on('close', () => {});
    return;
  }
  if (mode === 'garbage') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"choices": [{"message": ');
    return;
  }
  if (isSummary) answer(res, 'Things you keep coming back to.');
  else if (mode === 'lying') answer(res, `Because you loved "${otherTitle}", you will like this one.`);
  else answer(res, cited ? `You went for "${cited}", so this should suit you.` : 'This suits what you like.');
}

describe('generated sentences and summaries (fake OpenAI-compatible server)', () => {
  let dir: string;
  let store: SqliteStore;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => reply(req, res, body));
  });
  let url = '';
  let titles: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-sentences-'));
    store = new SqliteStore(join(dir, 'demo.db'));
    await writeDemo(store, { users: 8 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    titles = [];
    for await (const page of store.items.pages({ limit: 1000 })) titles.push(...page.map((i) => i.title));
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const engineWith = (generator: Record<string, unknown>) =>
    createEngine(parseConfig({ generator }), { store, encoder: null, onWarning: () => {} });
  const withServer = (extra: Record<string, unknown> = {}) =>
    engineWith({ provider: 'openai', url, model: 'fake', retries: 0, explainTimeoutMs: 500, ...extra });

  /** a user's top shop recommendation that cites past items, and its template sentence */
  async function target(engine: Engine): Promise<{ item: string; template: string }> {
    const res = await engine.recommend({ user: 'u001', scenario: 'shop', n: 10 });
    const r = res.items.find((x) => x.reasons.history.length > 0)!;
    assert.ok(r, 'a recommendation that cites past items');
    return { item: r.item, template: r.reasons.sentence! };
  }

  async function settle(engine: Engine, rounds = 50): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await engine.recommend({ user: 'u001', scenario: 'shop', n: 10 });
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('without a generator every recommendation and explanation carries the template sentence', async () => {
    const engine = await engineWith({});
    try {
      const res = await engine.recommend({ user: 'u001', scenario: 'shop', n: 10 });
      for (const r of res.items) {
        assert.ok(r.reasons.sentence && r.reasons.sentence.length > 10, r.item);
        if (r.reasons.history.length > 0)
          assert.ok(r.reasons.sentence.includes(`“${r.reasons.history[0]!.title}”`));
      }
      const { item, template } = await target(engine);
      assert.equal((await engine.explain('u001', item)).sentence, template);
      const profile = await engine.profile('u001');
      assert.ok(profile.fused.every((i) => i.summary && i.summaryBy === undefined));
    } finally {
      await engine.close();
    }
  });

  test('honest generator: its sentences are shown and every one passes the check', async () => {
    mode = 'honest';
    const engine = await withServer();
    try {
      const { item, template } = await target(engine);
      const e = await engine.explain('u001', item);
      assert.notEqual(e.sentence, template);
      assert.match(e.sentence!, /^You went for "/);
      // the top of the list is generated in the background and shown on later requests
      await settle(engine, 10);
      const res = await engine.recommend({ user: 'u001', scenario: 'shop', n: 10 });
      const generated = res.items.filter((r) => r.reasons.sentence?.startsWith('You went for'));
      assert.ok(generated.length >= 1, 'some sentences generated');
      const known = new KnownNames(titles, ['shop', 'music', 'video', 'news']);
      for (const r of generated) {
        const reasons = {
          item: { title: r.title, scenario: r.scenario },
          retriever: r.reasons.retriever,
          history: r.reasons.history,
          context: r.reasons.context,
          ...(r.reasons.interest ? { interest: r.reasons.interest } : {}),
        };
        assert.deepEqual(ungroundedNames(r.reasons.sentence!, reasons, known), [], r.reasons.sentence);
      }
      // interest summaries: the template first, the generated sentence once written
      let profile = await engine.profile('u001');
      for (let i = 0; i < 50 && !profile.fused.some((x) => x.summaryBy); i++) {
        await new Promise((r) => setTimeout(r, 20));
        profile = await engine.profile('u001');
      }
      const written = profile.fused.find((x) => x.summaryBy);
      assert.ok(written, 'a generated summary');
      assert.equal(written.summary, 'Things you keep coming back to.');
      assert.match(written.summaryBy!, /^openai:fake@/);
    } finally {
      await engine.close();
    }
  });

  test('lying generator: a sentence naming an item not among the reasons is replaced by the template', async () => {
    mode = 'lying';
    // a real catalog title that is neither the user's past item nor recommended to them
    const plain = await engineWith({});
    try {
      const seen = new Set((await store.events.ofUser('u001', { limit: 1000 })).map((e) => e.item));
      const shown = new Set(
        (await plain.recommend({ user: 'u001', scenario: 'shop', n: 10 })).items.map((r) => r.title),
      );
      const items: { id: string; title: string }[] = [];
      for await (const page of store.items.pages({ limit: 1000 })) items.push(...page);
      otherTitle = items.find((i) => !seen.has(i.id) && !shown.has(i.title) && i.title.length > 12)!.title;
    } finally {
      await plain.close();
    }
    const liar = await withServer();
    try {
      const { item, template } = await target(liar);
      const e = await liar.explain('u001', item);
      assert.equal(e.sentence, template, 'the lie is rejected');
      assert.ok(!e.sentence!.includes(otherTitle));
      await settle(liar, 10);
      const res = await liar.recommend({ user: 'u001', scenario: 'shop', n: 10 });
      assert.ok(res.items.every((r) => !r.reasons.sentence!.includes(otherTitle)));
    } finally {
      await liar.close();
    }
  });

  for (const m of ['hang', 'garbage', 'unreachable'] as const)
    test(`a generator that ${m === 'hang' ? 'hangs' : m === 'garbage' ? 'answers garbage' : 'is unreachable'} costs only the wording`, {
      timeout: 20_000,
    }, async () => {
      mode = m === 'unreachable' ? 'honest' : m;
      // a call timeout far beyond the test's: only the explain timeout can end the wait
      const engine = await (m === 'unreachable'
        ? engineWith({
            provider: 'openai',
            url: 'http://127.0.0.1:9/v1',
            model: 'x',
            retries: 0,
            explainTimeoutMs: 500,
          })
        : withServer({ timeoutMs: 60_000 }));
      try {
        const { item, template } = await target(engine);
        const res = await engine.recommend({ user: 'u001', scenario: 'shop', n: 10 });
        assert.equal(res.items.length, 10);
        const e = await engine.explain('u001', item);
        if (m === 'hang') assert.ok(hung > 0, 'the generator was asked and never answered');
        assert.equal(e.sentence, template);
        assert.ok(Number.isFinite(e.score));
        const profile = await engine.profile('u001');
        assert.ok(profile.fused.every((i) => i.summary && !i.summaryBy));
      } finally {
        await engine.close();
      }
    });
});
