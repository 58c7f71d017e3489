/** `fusionrec experiment create|list|status|stop` on a demo database copy. */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN, runNode } from './run-process.ts';
import { demoDbCopy } from './server-fixture.ts';

describe('fusionrec experiment', () => {
  let dir: string;
  let db: string;
  before(async () => {
    ({ dir, db } = await demoDbCopy());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) => runNode([BIN, 'experiment', ...args, '--db', db]);

  test('create, list, status, stop; bad definitions fail naming the field, nothing written', async () => {
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        id: 'shop-ab',
        scenario: 'shop',
        kind: 'ab',
        variants: [
          { name: 'control', share: 0.7 },
          { name: 'diverse', share: 0.3, diversity: 0.8 },
        ],
      }),
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        id: 'shop-bad',
        scenario: 'shop',
        kind: 'ab',
        variants: [
          { name: 'a', share: 0.7 },
          { name: 'b', share: 0.7 },
        ],
      }),
    );
    const created = await cli('create', good);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /started experiment "shop-ab"/);
    const refused = await cli('create', bad);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /error \[INVALID_INPUT\]: field "variants"/);
    const again = await cli('create', good);
    assert.match(again.stderr, /error \[CONFLICT\]/);
    // a model version that is not stored: refused naming the variant's field
    const noVersion = join(dir, 'no-version.json');
    writeFileSync(
      noVersion,
      JSON.stringify({
        id: 'music-versions',
        scenario: 'music',
        kind: 'interleave',
        variants: [{ name: 'a' }, { name: 'b', modelVersion: 'no-such-version' }],
      }),
    );
    const unknownVersion = await cli('create', noVersion);
    assert.notEqual(unknownVersion.code, 0);
    assert.match(
      unknownVersion.stderr,
      /error \[INVALID_INPUT\]: field "variants\[1\]\.modelVersion".*no-such-version/,
    );
    const list = JSON.parse((await cli('list', '--json')).stdout);
    assert.deepEqual(
      list.map((e: { id: string; status: string }) => [e.id, e.status]),
      [['shop-ab', 'running']],
    );
    const status = JSON.parse((await cli('status', 'shop-ab', '--json')).stdout);
    assert.deepEqual(
      status.variants.map((v: { variant: string; impressions: number }) => [v.variant, v.impressions]),
      [
        ['control', 0],
        ['diverse', 0],
      ],
    );
    assert.match((await cli('status', 'shop-ab')).stdout, /control: 0 lists/);
    assert.match((await cli('stop', 'shop-ab')).stdout, /is stopped/);
    // no exploration in the log: replay says it cannot estimate, and why
    const replay = await runNode([
      BIN,
      'replay',
      '--experiment',
      'shop-ab',
      '--candidate',
      'logging',
      '--db',
      db,
    ]);
    assert.notEqual(replay.code, 0);
    assert.match(replay.stderr, /no explored slot/);
    const lists = await runNode([
      BIN,
      'replay',
      '--experiment',
      'shop-ab',
      '--candidate',
      'ranking',
      '--db',
      db,
    ]);
    assert.notEqual(lists.code, 0);
    assert.match(lists.stderr, /cannot estimate ranking from 0 logged lists: the log holds no list/);
    const badCandidate = await runNode([
      BIN,
      'replay',
      '--experiment',
      'shop-ab',
      '--candidate',
      'best',
      '--db',
      db,
    ]);
    assert.match(badCandidate.stderr, /error \[INVALID_INPUT\]: field "candidate"/);
    const unknown = await cli('status', 'nope');
    assert.match(unknown.stderr, /error \[NOT_FOUND\]/);
  });
});
