import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { storeContract } from './contract.ts';
import { openStore } from './open.ts';
import { MIGRATIONS, SqliteStore } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeContract('sqlite', async () => new SqliteStore(join(dir, `c${n++}.db`)));

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

  it('rejects an unknown URL scheme', async () => {
    await assert.rejects(openStore('mysql://x'), { code: 'INVALID_CONFIG' });
  });
});
