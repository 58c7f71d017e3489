import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqlite } from './open.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openSqlite', () => {
  it('names a file that is not a database (STORE_ERROR), and leaves it as it was', () => {
    const f = join(dir, 'notes.txt');
    writeFileSync(f, 'a shopping list, not a database\n');
    assert.throws(
      () => openSqlite(f),
      (e: Error & { code: string }) => {
        assert.equal(e.code, 'STORE_ERROR');
        assert.match(e.message, /notes\.txt is not a SQLite database/);
        return true;
      },
    );
    assert.equal(readFileSync(f, 'utf8'), 'a shopping list, not a database\n');
  });

  it('names a path whose folder is missing', () => {
    assert.throws(() => openSqlite(join(dir, 'no', 'such', 'x.db')), { code: 'STORE_ERROR' });
  });
});
