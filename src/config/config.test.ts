import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { configMarkdown } from './docs.ts';
import { parseConfig } from './load.ts';

// parseConfig({}) as it was when every section repeated its keys' defaults in a section default;
// captured before the defaults were written once, so a lost or changed default shows here.
const before = JSON.parse(readFileSync(new URL('./defaults.fixture.json', import.meta.url), 'utf8'));

function merge(a: unknown, b: unknown): unknown {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return b;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
  return out;
}

describe('config defaults', () => {
  test('an empty config parses to the captured defaults, key for key and in order', () => {
    assert.equal(JSON.stringify(parseConfig({}), null, 2), JSON.stringify(before, null, 2));
  });

  // the shapes the tests and the server fixture use: a partial section keeps its siblings' defaults
  const partial = [
    { engine: { exactSearchBelow: 50 } },
    { engine: { exactSearchBelow: 50, rankCacheSeconds: 0 } },
    { server: { rateLimitPerMinute: 3 } },
    { train: { heldOutCases: 80, decays: [0.5, 0.9] }, seq: { enabled: false } },
    { encoder: { fusion: { text: 2 } }, generator: {} },
    { store: { url: 'sqlite://x.db' }, privacy: { pseudonymise: true, secret: '0123456789abcdef' } },
  ];
  for (const input of partial) {
    test(`partial input ${JSON.stringify(input)} = defaults overlaid with it`, () => {
      assert.deepEqual(JSON.parse(JSON.stringify(parseConfig(input))), merge(before, input));
    });
  }

  test('docs/config.md is what `fusionrec config --docs` prints', () => {
    const docs = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');
    assert.equal(docs, configMarkdown(), 'regenerate: fusionrec config --docs > docs/config.md');
  });

  test('every key in docs/config.md has a default and a description', () => {
    const rows = configMarkdown()
      .split('\n')
      .filter((l) => l.startsWith('| `'));
    assert.ok(rows.length > 50);
    for (const r of rows) assert.doesNotMatch(r, /\| `undefined` \||\|\s*\|$/, r);
  });
});

describe('options that do not run are refused', () => {
  test('generator.provider "llama" names the field and points to openai', () => {
    assert.throws(
      () => parseConfig({ generator: { provider: 'llama' } }),
      (e: { code: string; field: string; message: string }) =>
        e.code === 'INVALID_CONFIG' && e.field === 'generator.provider' && /"openai"/.test(e.message),
    );
  });

  test('another unknown provider gets the plain enum message', () => {
    assert.throws(
      () => parseConfig({ generator: { provider: 'gpt' } }),
      (e: { code: string; field: string; message: string }) =>
        e.code === 'INVALID_CONFIG' && e.field === 'generator.provider' && !/llama/.test(e.message),
    );
  });

  test('seq.heads that does not divide seq.dim names the field', () => {
    assert.throws(
      () => parseConfig({ seq: { arch: 'sasrec', dim: 64, heads: 3 } }),
      (e: { code: string; field: string }) => e.code === 'INVALID_CONFIG' && e.field === 'seq.heads',
    );
    assert.equal(parseConfig({ seq: { arch: 'sasrec', heads: 4 } }).seq.heads, 4);
  });

  test('no description advertises a backend or provider that does not exist', () => {
    const docs = configMarkdown();
    assert.doesNotMatch(docs, /GGUF|node-llama-cpp/);
  });
});
