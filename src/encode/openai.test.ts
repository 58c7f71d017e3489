import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { dot } from './batch.ts';
import { encoderContract } from './contract.ts';
import { fnv1a } from './fuse.ts';
import { createOpenAIEncoder } from './openai.ts';
import type { Encoder } from './types.ts';

type Handler = (body: { model: string; input: string[] }, req: IncomingMessage, res: ServerResponse) => void;

/** A local server speaking the OpenAI embeddings API over real HTTP; the handler is swapped per test. */
let server: Server;
let base = '';
const requests: { auth: string | undefined; input: string[] }[] = [];

function embed(text: string, dim = 8): number[] {
  const v = Array.from({ length: dim }, (_, i) => ((fnv1a(`${text}:${i}`) % 1000) - 500) / 100);
  return v;
}

const ok: Handler = (body, _req, res) => {
  res.setHeader('content-type', 'application/json');
  // answer in reverse order with explicit indices, as the API allows
  const data = body.input.map((t, index) => ({ object: 'embedding', index, embedding: embed(t) })).reverse();
  res.end(JSON.stringify({ object: 'list', data, model: body.model }));
};

let handler: Handler = ok;

before(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw);
      requests.push({ auth: req.headers.authorization, input: body.input });
      if (req.url !== '/v1/embeddings') {
        res.statusCode = 404;
        res.end('{}');
        return;
      }
      handler(body, req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

let shared: Promise<Encoder> | undefined;
encoderContract('openai (local fake server)', () => {
  shared ??= createOpenAIEncoder({ url: base, model: 'contract', batchSize: 8 });
  return shared;
});

describe('OpenAI-compatible embeddings provider', () => {
  test('batches texts, keeps order by index, normalises, sends the key', async () => {
    handler = ok;
    requests.length = 0;
    const enc = await createOpenAIEncoder({ url: `${base}/`, model: 'm', apiKey: 'sk-test', batchSize: 2 });
    assert.equal(enc.dim, 8);
    const texts = ['a', 'b', 'c', 'd', 'e'];
    const out = await enc.encode(texts);
    assert.equal(out.length, 5);
    assert.equal(requests.length, 1 + 3, 'one probe, then ceil(5/2) batches');
    assert.ok(requests.every((r) => r.auth === 'Bearer sk-test'));
    out.forEach((v, i) => {
      assert.ok(Math.abs(dot(v, v) - 1) < 1e-5);
      const e = embed(texts[i]!);
      const n = Math.hypot(...e);
      assert.ok(Math.abs(v[0]! - e[0]! / n) < 1e-5, `row ${i} is the embedding of its own text`);
    });
    await enc.close();
  });

  test('retries 429 and 5xx with backoff, then succeeds', async () => {
    let failures = 0;
    handler = (body, req, res) => {
      if (failures < 2) {
        failures++;
        res.statusCode = failures === 1 ? 429 : 503;
        res.end('{"error":"busy"}');
        return;
      }
      ok(body, req, res);
    };
    const enc = await createOpenAIEncoder({ url: base, model: 'm', retries: 3, backoffMs: 5 });
    assert.equal(failures, 2);
    assert.equal((await enc.encode(['x'])).length, 1);
  });

  test('a 400 is not retried', async () => {
    let n = 0;
    handler = (_b, _r, res) => {
      n++;
      res.statusCode = 400;
      res.end('{"error":"bad model"}');
    };
    await assert.rejects(createOpenAIEncoder({ url: base, model: 'nope', retries: 3, backoffMs: 5 }), {
      code: 'ENCODER_UNAVAILABLE',
    });
    assert.equal(n, 1);
  });

  test('a server that never answers times out, retries, then fails naming the URL', async () => {
    let n = 0;
    handler = () => {
      n++; // never answers
    };
    await assert.rejects(
      createOpenAIEncoder({ url: base, model: 'm', timeoutMs: 100, retries: 1, backoffMs: 5 }),
      (e: { code: string; message: string }) => {
        assert.equal(e.code, 'ENCODER_UNAVAILABLE');
        assert.ok(e.message.includes(`${base}/embeddings`));
        assert.match(e.message, /no answer within 100 ms/);
        return true;
      },
    );
    assert.equal(n, 2);
  });

  test('malformed replies are errors, not garbage vectors', async () => {
    handler = (_b, _r, res) => res.end('not json');
    await assert.rejects(createOpenAIEncoder({ url: base, model: 'm', retries: 0 }), {
      code: 'ENCODER_UNAVAILABLE',
    });
    handler = (_b, _r, res) => res.end(JSON.stringify({ data: [{ embedding: ['x'] }] }));
    await assert.rejects(createOpenAIEncoder({ url: base, model: 'm', retries: 0 }), {
      code: 'ENCODER_UNAVAILABLE',
    });
    handler = (_b, _r, res) => res.end(JSON.stringify({ data: [] }));
    await assert.rejects(createOpenAIEncoder({ url: base, model: 'm', retries: 0 }), {
      code: 'ENCODER_UNAVAILABLE',
    });
  });

  test('an unreachable endpoint gives ENCODER_UNAVAILABLE naming the URL', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await assert.rejects(
      createOpenAIEncoder({ url: `http://127.0.0.1:${port}/v1`, model: 'm', retries: 1, backoffMs: 5 }),
      (e: { code: string; message: string }) => {
        assert.equal(e.code, 'ENCODER_UNAVAILABLE');
        assert.ok(e.message.includes(`http://127.0.0.1:${port}/v1/embeddings`));
        return true;
      },
    );
  });
});
