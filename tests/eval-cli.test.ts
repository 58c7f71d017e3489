/**
 * `fusionrec eval` end to end on a small seeded sample of the real Scientific data: the JSON it
 * writes validates against the published JSON Schema, and the HTML report is self-contained.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'fusionrec-eval-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin/fusionrec.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
}

test('eval on scientific writes schema-valid JSON and an offline HTML report', () => {
  const json = join(dir, 'out.json');
  const html = join(dir, 'out.html');
  const r = run([
    'eval',
    '--dataset',
    'scientific',
    '--data',
    join(root, '../shared/data/scientific'),
    '--db',
    join(dir, 'sci.db'),
    '--models',
    'popularity,markov,text',
    '--vectors',
    'no',
    '--max-users',
    '300',
    '--tune-users',
    '200',
    '--json',
    json,
    '--report',
    html,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(readFileSync(json, 'utf8'));
  const schema = JSON.parse(readFileSync(join(root, 'docs/eval-schema.json'), 'utf8'));
  const ajv = new Ajv2020.default({ strict: false });
  const validate = ajv.compile(schema);
  assert.equal(validate(result), true, JSON.stringify(validate.errors));
  assert.equal(result.data.testCases, 300);
  assert.equal(result.data.items, 4385);
  const byName = Object.fromEntries(result.models.map((m: { name: string }) => [m.name, m]));
  assert.equal(byName.text.status, 'skipped');
  const ndcg = (m: {
    groups: { slice: string; scenario: string; ranking: string; metrics: Record<string, number> }[];
  }) =>
    m.groups.find((g) => g.slice === 'all' && g.scenario === 'all' && g.ranking === 'full')!.metrics[
      'ndcg@10'
    ]!;
  assert.ok(ndcg(byName.markov) > ndcg(byName.popularity));
  // a broken result is rejected by the same schema
  assert.equal(validate({ ...result, schemaVersion: 2 }), false);
  // two models evaluated: the second is compared with the first on the same cases
  const paired = result.comparisons.find(
    (c: { scenario: string; slice: string }) => c.scenario === 'all' && c.slice === 'all',
  );
  assert.equal(paired.model, 'markov');
  assert.equal(paired.baseline, 'popularity');
  assert.equal(paired.cases, 300);
  assert.ok(paired.ci95[0] > 0 && paired.ci95[0] <= paired.gain && paired.gain <= paired.ci95[1]);
  assert.equal(result.models[0].perCase['ndcg@10'].length, result.cases.length);
  const compared = run(['eval-compare', json, '--compare', 'popularity,markov']);
  assert.equal(compared.status, 0, compared.stderr);
  assert.match(compared.stdout, /\| popularity \| markov \| all \| all \| 300 \|/);
  // the same run under another seed, pooled with it: the per-case means validate and compare
  const json7 = join(dir, 'out7.json');
  writeFileSync(json7, JSON.stringify({ ...result, run: { ...result.run, seed: 7 } }));
  const pooledJson = join(dir, 'pooled.json');
  const pooled = run([
    'eval-compare',
    '--over-seeds',
    json,
    json7,
    '--compare',
    'markov,popularity',
    '--json',
    pooledJson,
  ]);
  assert.equal(pooled.status, 0, pooled.stderr);
  assert.match(pooled.stdout, /\| markov \| popularity \| all \| all \| 300 \|/);
  const pooledResult = JSON.parse(readFileSync(pooledJson, 'utf8'));
  assert.equal(validate(pooledResult), true, JSON.stringify(validate.errors));
  assert.equal(pooledResult.models[1].params.seeds, '42,7');
  const twice = run(['eval-compare', '--over-seeds', json, json]);
  assert.equal(twice.status, 1);
  assert.match(twice.stderr, /INVALID_INPUT.*seed 42 is given twice/);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /Paired comparisons/);
  assert.match(page, /<svg /);
  assert.doesNotMatch(page, /<script|<link|src="http|href="http/);
});

test('eval names the bad field: unknown dataset, bad epoch cap, protocol, folds, fold users, unknown model', () => {
  const a = run(['eval', '--dataset', 'movies', '--data', dir]);
  assert.equal(a.status, 1);
  assert.match(a.stderr, /INVALID_INPUT.*dataset/);
  // --seq-epochs belongs to eval (it was once registered on eval-compare by mistake)
  const e = run(['eval', '--dataset', 'scientific', '--data', dir, '--seq-epochs', '0']);
  assert.equal(e.status, 1);
  assert.match(e.stderr, /INVALID_INPUT.*seq-epochs/);
  const p = run(['eval', '--dataset', 'scientific', '--data', dir, '--protocol', 'folds']);
  assert.equal(p.status, 1);
  assert.match(p.stderr, /INVALID_INPUT.*protocol/);
  const f = run(['eval', '--dataset', 'scientific', '--data', dir, '--protocol', 'kfold', '--folds', '1']);
  assert.equal(f.status, 1);
  assert.match(f.stderr, /INVALID_INPUT.*folds/);
  const u = run([
    'eval',
    '--dataset',
    'scientific',
    '--data',
    dir,
    '--protocol',
    'kfold',
    '--fold-users',
    'all',
  ]);
  assert.equal(u.status, 1);
  assert.match(u.stderr, /INVALID_INPUT.*fold-users/);
  const b = run([
    'eval',
    '--dataset',
    'scientific',
    '--data',
    join(root, '../shared/data/scientific'),
    '--db',
    join(dir, 'sci.db'),
    '--models',
    'popularity,nope',
    '--vectors',
    'no',
  ]);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /INVALID_INPUT.*models/);
});
