import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { storeContract } from './contract.ts';
import { dataStoreContract } from './data/contract.ts';
import { derivedStoreContract } from './derived/contract.ts';
import { openStore } from './open.ts';
import { MIGRATIONS } from './sqlite/open.ts';
import { SqliteStore } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = async () => new SqliteStore(join(dir, `c${n++}.db`));

// one file holds both stores, so each suite runs on the same class
dataStoreContract('sqlite', fresh);
derivedStoreContract('sqlite', fresh);
storeContract('sqlite', fresh);

describe('SqliteStore specifics', () => {
  it('opens with WAL, synchronous=FULL, secure_delete and the latest schema version', async () => {
    const s = (await openStore(`sqlite://${join(dir, 'p.db')}`)) as SqliteStore;
    try {
      assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(s.db.pragma('synchronous', { simple: true }), 2);
      assert.equal(s.db.pragma('secure_delete', { simple: true }), 1);
      assert.equal(s.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    } finally {
      await s.close();
    }
  });

  it('opens a bare path as SQLite', async () => {
    const s = await openStore(join(dir, 'bare.db'));
    try {
      assert.ok(s instanceof SqliteStore);
      assert.equal(s.url, `sqlite://${join(dir, 'bare.db')}`);
    } finally {
      await s.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const file = join(dir, 'newer.db');
    const s = new SqliteStore(file);
    s.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    await s.close();
    assert.throws(() => new SqliteStore(file), { code: 'STORE_ERROR' });
  });

  it('rejects an unknown URL scheme', async () => {
    await assert.rejects(openStore('mysql://x'), { code: 'INVALID_CONFIG', field: 'store.url' });
  });
});
