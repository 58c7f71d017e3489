/**
 * Erasure through the HTTP API on a running server: after `DELETE /v1/users/:id` is answered, the
 * user's id (raw and pseudonymised), an event id and their review text are found in no byte of
 * the database, its WAL and shared-memory files, or the server's log, while the server still runs
 * and after it stops.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { createPseudonymiser } from '../src/core/privacy.ts';
import { importDataset } from '../src/ingest/index.ts';
import { openRuntime, startServer } from '../src/serve/runtime.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { tempDir } from './import-helpers.ts';
import { call } from './server-fixture.ts';

const tmp = tempDir('api-erase');
after(tmp.cleanup);
const T = Date.UTC(2024, 0, 1);
const SECRET = 'a-test-secret-of-enough-length';

/** 120 users x 15 events over 80 items of one scenario, imported before the server starts */
function writeCatalog(file: string): void {
  const recs: unknown[] = [{ kind: 'scenario', id: 'shop', scenarioKind: 'ecommerce' }];
  for (let i = 0; i < 80; i++) recs.push({ kind: 'item', id: `i${i}`, scenario: 'shop', title: `Item ${i}` });
  let n = 0;
  for (let u = 0; u < 120; u++)
    for (let k = 0; k < 15; k++)
      recs.push({
        kind: 'event',
        id: `e${n++}`,
        user: `user-${u}`,
        item: `i${(u * 7 + k * 3) % 80}`,
        scenario: 'shop',
        type: k % 4 === 0 ? 'purchase' : 'view',
        ts: T + k * 60_000,
      });
  writeFileSync(file, `${recs.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

function occurrences(files: readonly string[], needle: string): string[] {
  const found: string[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const at = readFileSync(f).indexOf(Buffer.from(needle, 'utf8'));
    if (at >= 0) found.push(`${f}@${at}`);
  }
  return found;
}

describe('DELETE /v1/users/:id on a running server', () => {
  it('leaves the id, event ids and review text in 0 bytes of the database, WAL, SHM and log', async () => {
    const U = 'canary-user-5e1f0b7a';
    const EVENT = 'canary-event-93d2c4';
    const REVIEW = 'canary-review-text-ab41f6 loved it';
    const pseudonym = createPseudonymiser({ pseudonymise: true, secret: SECRET })(U);
    const db = join(tmp.dir, 'api.db');
    const jsonl = join(tmp.dir, 'catalog.jsonl');
    writeCatalog(jsonl);
    const seed = new SqliteStore(db);
    await importDataset(seed, 'jsonl', jsonl, { batchSize: 500 });
    await seed.checkpoint();
    await seed.close();

    const log: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        log.push(String(chunk));
        done();
      },
    });
    const logFile = join(tmp.dir, 'server.log');
    const config = parseConfig({
      store: { url: `sqlite://${db}` },
      privacy: { pseudonymise: true, secret: SECRET },
      server: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 0 },
    });
    const rt = await openRuntime(config, { encoder: null });
    const server = await startServer(rt, { logLevel: 'info', logStream: stream });
    const files = [db, `${db}-wal`, `${db}-shm`, logFile];
    let closed = false;
    try {
      const events = Array.from({ length: 12 }, (_, k) => ({
        id: `${EVENT}-${k}`,
        user: U,
        item: `i${(k * 5) % 80}`,
        scenario: 'shop',
        type: k % 3 === 0 ? 'review' : 'view',
        ...(k % 3 === 0 ? { text: REVIEW } : {}),
        ts: T + 3_600_000 + k * 60_000,
      }));
      const added = await call(server.url, 'POST', '/v1/events/batch', { events });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.equal(added.body.inserted, 12);
      // requests naming the user in the path and the query string, as a client would make them
      assert.equal((await call(server.url, 'GET', `/v1/users/${U}`)).status, 200);
      assert.equal((await call(server.url, 'GET', `/v1/users/${U}/history?limit=5`)).status, 200);
      const rec = await call(server.url, 'POST', '/v1/recommend', { user: U, scenario: 'shop', n: 5 });
      assert.equal(rec.status, 200, JSON.stringify(rec.body));
      assert.equal((await call(server.url, 'GET', `/v1/explain?user=${U}&item=i5`)).status, 200);
      writeFileSync(logFile, log.join(''));
      assert.notDeepEqual(occurrences([db, `${db}-wal`], pseudonym), [], 'the pseudonym is stored before');
      assert.notDeepEqual(occurrences([db, `${db}-wal`], EVENT), [], 'the event ids are stored before');
      assert.notDeepEqual(occurrences([db, `${db}-wal`], REVIEW), [], 'the review is stored before');

      const del = await call(server.url, 'DELETE', `/v1/users/${U}`);
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.ok(del.body.removed >= 13, `removed ${del.body.removed}`);
      writeFileSync(logFile, log.join(''));
      assert.ok(log.length > 0, 'the server logged its requests');
      // while the server still runs: answered means erased
      for (const needle of [U, pseudonym, EVENT, REVIEW])
        assert.deepEqual(occurrences(files, needle), [], `"${needle}" found while serving`);
      assert.equal((await call(server.url, 'GET', `/v1/users/${U}`)).status, 404);

      await server.close();
      await rt.close();
      closed = true;
      writeFileSync(logFile, log.join(''));
      for (const needle of [U, pseudonym, EVENT, REVIEW])
        assert.deepEqual(occurrences(files, needle), [], `"${needle}" found after the stop`);
      const after = new SqliteStore(db);
      try {
        assert.equal(await after.events.count(), 120 * 15);
        assert.equal(after.db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        await after.close();
      }
    } finally {
      if (!closed) {
        await server.close();
        await rt.close();
      }
    }
  });
});
