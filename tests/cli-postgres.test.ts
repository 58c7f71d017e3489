/**
 * The CLI on a PostgreSQL store: `--db postgres://...` imports and reports stats, and a store URL
 * that cannot be opened is one line naming `store.url` and what failed, with no stack trace. Needs
 * the server at 127.0.0.1:5432 (as src/store/postgres.test.ts does); it creates and drops its own
 * database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { BIN, runNode } from './run-process.ts';

const ADMIN_URL =
  process.env.FUSIONREC_TEST_POSTGRES ??
  `postgres://${process.env.PGUSER || userInfo().username}@127.0.0.1:5432/postgres`;
const DB = `fusionrec_test_${randomBytes(6).toString('hex')}`;
const run = (args: string[]) => runNode([BIN, ...args], { env: { FUSIONREC_ENCODER__THREADS: '1' } });

describe('CLI on PostgreSQL', () => {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-cli-pg-'));
  before(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB}`);
  });
  after(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports into and reports stats of a postgres:// store', async () => {
    const file = join(dir, 'data.jsonl');
    writeFileSync(
      file,
      [
        {
          kind: 'scenario',
          id: 'shop',
          scenarioKind: 'ecommerce',
          eventWeights: { view: 1 },
          allowRepeats: false,
        },
        { kind: 'item', id: 'sku-1', scenario: 'shop', title: 'Chef knife' },
        { kind: 'item', id: 'sku-2', scenario: 'shop', title: 'Cutting board' },
        {
          kind: 'event',
          id: 'ev-1',
          user: 'u1',
          item: 'sku-1',
          scenario: 'shop',
          type: 'view',
          ts: 1714564800000,
        },
        {
          kind: 'event',
          id: 'ev-2',
          user: 'u2',
          item: 'sku-2',
          scenario: 'shop',
          type: 'view',
          ts: 1714564800001,
        },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const u = new URL(ADMIN_URL);
    u.pathname = `/${DB}`;
    const imported = await run(['import', '--format', 'jsonl', '--db', u.toString(), file]);
    assert.equal(imported.code, 0, imported.stderr);
    const stats = await run(['stats', '--db', u.toString(), '--json']);
    assert.equal(stats.code, 0, stats.stderr);
    const s = JSON.parse(stats.stdout);
    assert.equal(s.events, 2);
    assert.equal(s.items, 2);
    assert.equal(s.users, 2);
  });

  it('a store URL that cannot be opened is one clear line, no stack trace', async () => {
    const r = await run(['stats', '--db', 'postgres://fusionrec:secret@127.0.0.1:1/x']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /INVALID_CONFIG.*store\.url.*connection refused/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.doesNotMatch(r.stderr, /secret/);
  });
});
