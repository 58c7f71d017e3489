/**
 * Batch export on the tiny shop: every line is what engine.recommend answers; an interrupted run
 * (and a line cut short by a crash) continues to the same final set of lines, without duplicates.
 * The CLI commands (export-recs, trending) on the same store.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportRecs } from '../src/cli/export-recs.ts';
import { parseConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Engine } from '../src/engine/types.ts';
import { type TinyShop, tinyShop } from './lists-fixture.ts';
import { BIN, runNode } from './run-process.ts';

interface Line {
  user: string;
  items: { item: string; score: number }[];
}

const read = (file: string): Line[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

describe('export-recs', () => {
  let shop: TinyShop;
  let config: Config;
  let engine: Engine;

  before(async () => {
    shop = await tinyShop();
    config = parseConfig({ store: { url: `sqlite://${shop.dbPath}` }, seq: { enabled: false } });
    engine = await createEngine(config, { onWarning: () => {} });
  });
  after(async () => {
    await engine.close();
    await shop.close();
  });

  // one moment for every answer: the trending lists and context features change with the hour and day
  const AT = { hour: 12, weekday: 3 };

  async function expected(user: string, context: Record<string, number | string> = AT) {
    const r = await engine.recommend({ user, scenario: 'shop', n: 5, context });
    return r.items.map((i) => ({ item: i.item, score: i.score }));
  }

  it('exports every user in two workers, each line what engine.recommend answers', async () => {
    const out = join(shop.dir, 'all.jsonl');
    const r = await exportRecs({ config, scenario: 'shop', n: 5, out, workers: 2, batch: 4, context: AT });
    const lines = read(out);
    const stored = new Set<string>();
    for await (const page of shop.store.events.pages({ limit: 1000 }))
      for (const e of page) stored.add(e.user);
    const users = stored.size;
    assert.equal(lines.length, users);
    assert.equal(r.written, users);
    assert.equal(new Set(lines.map((l) => l.user)).size, lines.length, 'no user twice');
    for (const l of lines) {
      assert.deepEqual(
        l.items.map((i) => ({ item: i.item, score: i.score })),
        await expected(l.user),
        l.user,
      );
    }
  });

  it('an interrupted export and a cut line continue to the same file, without duplicates', async () => {
    const full = join(shop.dir, 'full.jsonl');
    await exportRecs({ config, scenario: 'shop', n: 5, out: full, workers: 1, batch: 4, context: AT });
    const out = join(shop.dir, 'resumed.jsonl');
    const stop = new AbortController();
    const job = { config, scenario: 'shop', n: 5, out, workers: 2, batch: 4, context: AT };
    const first = await exportRecs({
      ...job,
      signal: stop.signal,
      onProgress: (done) => {
        if (done >= 8) stop.abort();
      },
    });
    assert.equal(first.interrupted, true);
    assert.ok(first.written >= 8 && first.written < first.users, `${first.written} of ${first.users}`);
    // a crash in the middle of a write leaves half a line
    appendFileSync(out, '{"user":"half-writ');
    const second = await exportRecs(job);
    assert.equal(second.skipped, first.written);
    assert.equal(second.written, first.users - first.written);
    const byUser = (ls: Line[]) => new Map(ls.map((l) => [l.user, JSON.stringify(l)]));
    const resumed = read(out);
    assert.equal(resumed.length, new Set(resumed.map((l) => l.user)).size, 'no duplicates');
    assert.deepEqual(byUser(resumed), byUser(read(full)));
  });

  it("every line answers the export's context, whatever the time it runs at", async () => {
    const evening = { hour: 19, weekday: 3 };
    const out = join(shop.dir, 'evening.jsonl');
    await exportRecs({
      config,
      scenario: 'shop',
      n: 5,
      out,
      users: ['k0', 'm3a'],
      workers: 1,
      context: evening,
    });
    const lines = read(out);
    assert.equal(lines.length, 2);
    for (const l of lines) {
      const items = l.items.map((i) => ({ item: i.item, score: i.score }));
      assert.deepEqual(items, await expected(l.user, evening), l.user);
      // the trending list of the evening is not that of noon
      assert.notDeepEqual(items, await expected(l.user, AT), l.user);
    }
  });

  it('the CLI exports listed users and lists trending items; a bad users file names its line', async () => {
    const users = join(shop.dir, 'users.txt');
    writeFileSync(users, 'm3a\n\nc5\nnobody-yet\n');
    const out = join(shop.dir, 'cli.jsonl');
    const env = { FUSIONREC_SEQ__ENABLED: 'false', FUSIONREC_ENGINE__LISTS__MIN_CONTEXT_EVENTS: '3' };
    const ran = await runNode(
      [
        BIN,
        'export-recs',
        '--db',
        shop.dbPath,
        '-s',
        'shop',
        '-n',
        '5',
        '--out',
        out,
        '--users',
        users,
        '--workers',
        '1',
        '--hour',
        '12',
        '--weekday',
        '3',
      ],
      { env },
    );
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /3 users written .* users\/s/);
    const lines = read(out);
    assert.deepEqual(
      lines.map((l) => l.user),
      ['m3a', 'c5', 'nobody-yet'],
    );
    for (const l of lines)
      assert.deepEqual(
        l.items,
        (await expected(l.user)).map((e, k) => ({ ...l.items[k]!, ...e })),
      );
    writeFileSync(users, `ok\n${'x'.repeat(300)}\n`);
    const bad = await runNode(
      [BIN, 'export-recs', '--db', shop.dbPath, '-s', 'shop', '--out', out, '--users', users],
      { env },
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /users\.txt:2/);
    const trending = await runNode(
      [BIN, 'trending', '--db', shop.dbPath, '-s', 'shop', '-n', '2', '--json'],
      { env },
    );
    assert.equal(trending.code, 0, trending.stderr);
    assert.equal(JSON.parse(trending.stdout).items[0].item, 'mug');
    const evening = await runNode([BIN, 'popular', '--db', shop.dbPath, '-s', 'shop', '--band', 'evening'], {
      env,
    });
    assert.match(evening.stdout, /1\. red wine bottle/);
  });
});
