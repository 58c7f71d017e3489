/**
 * The CLI loads only what a command needs: `stats` and `delete-user` start without the encoder,
 * the vector index, the engine or the HTTP server; `--help` loads every command's file to list
 * it. `npm run bench:cli-start` prints the start-up times; this checks which modules load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeOneEvent } from './cli-fixture.ts';
import { BIN, runNode } from './run-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-lazy-'));
const db = join(dir, 'one.db');
// a module hook that records every module the process resolves, printed as JSON when it exits
const hook = join(dir, 'record.mjs');
writeFileSync(
  hook,
  `import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(\`
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}\`), { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify([...seen]) + '\\n'));
`,
);

/** the modules a CLI run loaded (file URLs and node: builtins) */
async function loaded(args: string[], expectCode: number): Promise<string[]> {
  const r = await runNode(['--import', hook, BIN, ...args], { cwd: dir });
  assert.equal(r.code, expectCode, r.stderr);
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  assert.ok(line, r.stderr);
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

const HEAVY = [
  /\/dist\/engine\/create\.js$/,
  /\/dist\/encode\/use\.js$/,
  /\/dist\/index\/hnsw\.js$/,
  /\/dist\/serve\/app\.js$/,
  /\/dist\/train\//,
  /\/dist\/eval\//,
  /\/node_modules\/(fastify|usearch|@tensorflow|@energetic-ai|@huggingface)\//,
];
const heavyIn = (urls: string[]) => urls.filter((u) => HEAVY.some((re) => re.test(u)));

before(async () => {
  const data = writeOneEvent(join(dir, 'one.jsonl'));
  const r = await runNode([BIN, 'import', '--format', 'jsonl', '--db', db, data]);
  assert.equal(r.code, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('stats and delete-user load the store, not the engine, encoder, index or server', async () => {
  const stats = await loaded(['stats', '--db', db], 0);
  assert.ok(
    stats.some((u) => u.endsWith('/dist/cli/commands/stats.js')),
    'the hook sees the modules',
  );
  assert.deepEqual(heavyIn(stats), []);
  assert.ok(!stats.some((u) => /\/dist\/cli\/commands\/(serve|train|eval|encode)\.js$/.test(u)));
  const del = await loaded(['delete-user', '--db', db, 'nobody'], 1);
  assert.deepEqual(heavyIn(del), []);
});

test('--help lists every command; recommend loads the engine when it runs', async () => {
  const help = await loaded(['--help'], 0);
  for (const c of ['stats', 'serve', 'train', 'eval', 'recommend']) {
    assert.ok(
      help.some((u) => u.endsWith(`/dist/cli/commands/${c}.js`)),
      `${c} registered for --help`,
    );
  }
  // the other side of the check: a command that needs the engine gets it
  const rec = await loaded(['recommend', 'u1', '--scenario', 'shop', '--db', db], 0);
  assert.ok(rec.some((u) => /\/dist\/engine\/create\.js$/.test(u)));
});
