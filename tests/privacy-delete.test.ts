/**
 * After `fusionrec delete-user` (which checkpoints), the user's id appears nowhere in the bytes of
 * the database, its WAL or its shared-memory index: not in tables, indexes or free pages.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPseudonymiser } from '../src/core/privacy.ts';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { ROOT, tempDir } from './import-helpers.ts';

const tmp = tempDir('privacy');
after(tmp.cleanup);
const T = Date.UTC(2024, 0, 1);
const SECRET = 'a-test-secret-of-enough-length';

/**
 * 300 users x 20 events; `target` is user 150 and also owns the ids of its events (when asked),
 * and is a followable item `user:<target>` in a social scenario.
 */
function writeJsonl(file: string, target: string, eventIdsNameUser: boolean, social: boolean): void {
  const recs: unknown[] = [{ kind: 'scenario', id: 'shop', scenarioKind: 'ecommerce' }];
  // the target as a followable user, followed by ten others
  if (social)
    recs.push(
      { kind: 'scenario', id: 'social', scenarioKind: 'social' },
      { kind: 'item', id: `user:${target}`, scenario: 'social', title: `user ${target}` },
    );
  for (let u = 0; u < (social ? 10 : 0); u++)
    recs.push({
      kind: 'event',
      id: `f${u}`,
      user: `user-${u}`,
      item: `user:${target}`,
      scenario: 'social',
      type: 'follow',
      ts: T,
    });
  for (let i = 0; i < 400; i++)
    recs.push({ kind: 'item', id: `i${i}`, scenario: 'shop', title: `Item ${i}` });
  recs.push({ kind: 'user', id: target, attributes: { segment: 'test' } });
  let n = 0;
  for (let u = 0; u < 300; u++)
    for (let k = 0; k < 20; k++) {
      const user = u === 150 ? target : `user-${u}`;
      recs.push({
        kind: 'event',
        id: eventIdsNameUser ? `${user}/e${n++}` : `e${n++}`,
        user,
        item: `i${(u * 13 + k * 7) % 400}`,
        scenario: 'shop',
        type: k % 5 === 0 ? 'purchase' : 'view',
        ts: T + k * 60_000,
      });
    }
  writeFileSync(file, `${recs.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'fusionrec.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function occurrences(db: string, needle: string): string[] {
  const found: string[] = [];
  for (const f of [db, `${db}-wal`, `${db}-shm`]) {
    if (!existsSync(f)) continue;
    const at = readFileSync(f).indexOf(Buffer.from(needle, 'utf8'));
    if (at >= 0) found.push(`${f}@${at}`);
  }
  return found;
}

describe('delete-user erases every byte of the user', () => {
  it('leaves no trace in the .db, -wal and -shm files, and keeps everyone else', async () => {
    const U = 'erase-me-7f3c9a1d';
    const db = join(tmp.dir, 'plain.db');
    const file = join(tmp.dir, 'plain.jsonl');
    writeJsonl(file, U, true, true);
    const store = new SqliteStore(db);
    await importDataset(store, 'jsonl', file, { batchSize: 500 });
    // derived data keyed by the user (profile, per-scenario profile)
    await store.blobs.put('profile', [
      { key: U, value: new Uint8Array([1, 2, 3]) },
      { key: `${U}:shop`, value: new Uint8Array([4]) },
    ]);
    await store.blobs.put('profile', [{ key: 'user-7', value: new Uint8Array([5]) }]);
    await store.close();
    assert.notDeepEqual(occurrences(db, U), [], 'the id is there before');

    const out = cli(['delete-user', '--db', db, U]);
    // 20 events, the user row, 2 blobs, 10 follows of the user and the user as an item
    assert.match(out, /deleted user "erase-me-7f3c9a1d": 34 rows erased/);
    assert.deepEqual(occurrences(db, U), []);

    const after = new SqliteStore(db);
    try {
      assert.equal(await after.events.count(), 299 * 20);
      assert.equal(await after.users.get(U), undefined);
      assert.equal(await after.blobs.count('profile'), 1);
      assert.equal((await after.events.ofUser('user-7')).length, 20);
      assert.equal(after.db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      await after.close();
    }
  });

  it('with pseudonymisation on, the raw id is never stored and the pseudonym is erased too', async () => {
    const U = 'alice.example-4b9e2c';
    const db = join(tmp.dir, 'pseudo.db');
    const file = join(tmp.dir, 'pseudo.jsonl');
    // canonical item ids are not user ids, so no `user:<id>` item here
    writeJsonl(file, U, false, false);
    const env = { FUSIONREC_PRIVACY__PSEUDONYMISE: 'true', FUSIONREC_SECRET: SECRET };
    cli(['import', '--format', 'jsonl', '--db', db, file], env);
    const pseudonym = createPseudonymiser({ pseudonymise: true, secret: SECRET })(U);
    assert.deepEqual(occurrences(db, U), [], 'the raw id never reaches the store');
    assert.notDeepEqual(occurrences(db, pseudonym), []);

    cli(['delete-user', '--db', db, U], env);
    assert.deepEqual(occurrences(db, pseudonym), []);
    const store = new SqliteStore(db);
    try {
      assert.equal(await store.events.count(), 299 * 20);
    } finally {
      await store.close();
    }
  });
});
