/**
 * Serving honours `encoder.provider`: a catalog encoded by an OpenAI-compatible server (a fake one
 * here, over real HTTP) is served with its text vectors by the runtime behind `serve` and by
 * `fusionrec recommend`, as a catalog encoded by the default encoder is. Text vectors show as the
 * semantic retriever contributing candidates; without them it has no index to search.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { writeDemo } from '../src/demo/build.ts';
import { encodeCatalog } from '../src/encode/catalog.ts';
import { fnv1a } from '../src/encode/fuse.ts';
import { openRuntime } from '../src/serve/runtime.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { BIN, runNode } from './run-process.ts';
import { demoDbCopy } from './server-fixture.ts';

const DIM = 32;

/** a bag of hashed words: texts that share words get near vectors */
function embed(text: string): number[] {
  const v = new Array<number>(DIM).fill(0);
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) v[fnv1a(w) % DIM]! += 1;
  v[0]! += 0.01;
  return v;
}

const run = (args: string[]) => runNode([BIN, ...args]);

describe('encoder.provider openai, served', () => {
  let server: Server;
  let dir: string;
  let config: Config;
  let configFile: string;
  before(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw) as { model: string; input: string[] };
        const data = body.input.map((t, index) => ({ object: 'embedding', index, embedding: embed(t) }));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ object: 'list', data, model: body.model }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-provider-'));
    const input = {
      store: { url: `sqlite://${join(dir, 'demo.db')}` },
      encoder: { provider: 'openai', url, model: 'fake-embed', batchSize: 256 },
    } as const;
    config = parseConfig(input);
    configFile = join(dir, 'fusionrec.config.json');
    writeFileSync(configFile, JSON.stringify(input));
    // a small demo catalog with its vectors from the fake server only
    const store = new SqliteStore(join(dir, 'demo.db'));
    try {
      await writeDemo(store, { users: 12 });
      const { createOpenAIEncoder } = await import('../src/encode/openai.ts');
      const encoder = await createOpenAIEncoder({ url, model: 'fake-embed', batchSize: 256 });
      const report = await encodeCatalog(store, encoder);
      assert.ok(report.updated > 0);
      await encoder.close();
    } finally {
      await store.close();
    }
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the runtime behind serve opens the configured encoder and its vectors', async () => {
    const rt = await openRuntime(config);
    try {
      assert.match(rt.encoder?.id ?? '', /^openai:fake-embed@/);
      assert.match((await rt.deps.versions?.())?.encoder ?? '', /^openai:/);
      const res = await rt.engine.recommend({ user: 'u001', scenario: 'music', n: 10 });
      assert.equal(res.items.length, 10);
      assert.ok(res.retrievers.includes('semantic'), `retrievers: ${res.retrievers.join(', ')}`);
    } finally {
      await rt.close();
    }
  });

  test('without an encoder the same store has no text vectors (the check above can fail)', async () => {
    const rt = await openRuntime(config, { encoder: null });
    try {
      const res = await rt.engine.recommend({ user: 'u001', scenario: 'music', n: 10 });
      assert.ok(!res.retrievers.includes('semantic'), `retrievers: ${res.retrievers.join(', ')}`);
    } finally {
      await rt.close();
    }
  });

  test('fusionrec recommend uses them too', async () => {
    const r = await run(['-c', configFile, 'recommend', 'u001', '--scenario', 'music', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(r.stdout) as { retrievers: string[]; items: unknown[] };
    assert.equal(body.items.length, 10);
    assert.ok(body.retrievers.includes('semantic'), `retrievers: ${body.retrievers.join(', ')}`);
  });
});

describe('encoder.provider use (the default), served', () => {
  test('the runtime serves the default encoder and its vectors', async () => {
    const { db } = await demoDbCopy();
    const rt = await openRuntime(parseConfig({ store: { url: `sqlite://${db}` }, encoder: { threads: 1 } }));
    try {
      assert.match(rt.encoder?.id ?? '', /^use-lite@/);
      const res = await rt.engine.recommend({ user: 'u001', scenario: 'music', n: 10 });
      assert.ok(res.retrievers.includes('semantic'), `retrievers: ${res.retrievers.join(', ')}`);
    } finally {
      await rt.close();
      rmSync(dirname(db), { recursive: true, force: true });
    }
  });
});
