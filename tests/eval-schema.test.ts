import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { resultJsonSchema } from '../src/eval/schema.ts';

test('docs/eval-schema.json is the JSON Schema generated from the zod results schema', () => {
  const published = JSON.parse(readFileSync(new URL('../docs/eval-schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(
    published,
    JSON.parse(JSON.stringify(resultJsonSchema())),
    'regenerate with: ./bin/fusionrec.js eval-schema > docs/eval-schema.json',
  );
});
