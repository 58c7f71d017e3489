/**
 * The API fuzz suite (tests/fuzz/api-fuzz.ts) over every operation of the OpenAPI document, against
 * the real engine. `npm test` runs a few hundred seeded cases; `npm run fuzz` runs 10,000 (or
 * FUZZ_RUNS) with a seed of its own (FUZZ_SEED), as docs/testing.md describes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fuzzApi, operationsOf } from './api-fuzz.ts';
import { FUZZ_KEYS, type Fuzzable, startFuzzTarget } from './fuzz-target.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);
/** requests sent at once per round (races); 1 checks that rejected requests write nothing */
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 1);
// FUZZ_PSEUDONYMISE=1: with privacy.pseudonymise on

describe('API fuzz over the OpenAPI document', () => {
  let f: Fuzzable;
  before(async () => {
    f = await startFuzzTarget({ pseudonymise: process.env.FUZZ_PSEUDONYMISE === '1' });
  });
  after(async () => {
    await f?.server.close();
  });

  test(`${RUNS} rounds of ${CONCURRENCY} request(s) (seed ${SEED}): no 5xx, documented errors and responses, rejections write nothing`, async () => {
    const started = Date.now();
    const report = await fuzzApi(f.target, f.doc, {
      runs: RUNS,
      seed: SEED,
      known: f.known,
      keys: FUZZ_KEYS,
      concurrency: CONCURRENCY,
    });
    const ops = operationsOf(f.doc);
    const lines = Object.entries(report.byOperation)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(
        ([name, s]) =>
          `  ${name}: ${s.cases} cases (${s.valid} valid), statuses ${JSON.stringify(s.statuses)}, valid ones refused for ${JSON.stringify(s.refused)}`,
      );
    const ok = Object.values(report.byOperation).reduce(
      (n, s) => n + (s.statuses['200'] ?? 0) + (s.statuses['201'] ?? 0),
      0,
    );
    console.log(
      `fuzz: ${report.cases} cases over ${report.operations} operations in ${((Date.now() - started) / 1000).toFixed(1)} s, ${ok} answered 2xx, ${report.failures.length} distinct failures\n${lines.join('\n')}`,
    );
    // every operation the document lists was tried
    assert.equal(Object.keys(report.byOperation).length, ops.length);
    assert.deepEqual(report.failures, []);
  });
});
