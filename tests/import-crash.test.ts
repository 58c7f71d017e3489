/**
 * An import stopped by Ctrl-C, then one killed with SIGKILL mid-write, then a rerun: the database
 * stays intact, the rerun resumes from the checkpoint, and the result is exactly a clean import.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { DATA, noData, ROOT, tempDir } from './import-helpers.ts';

const tmp = tempDir('crash');
after(tmp.cleanup);
const db = join(tmp.dir, 'crash.db');
// beauty: 198,502 events, 66 batches of 3,000 records, and events from the first batch on
const DATASET = join(DATA, 'beauty');

function startImport(): { child: ChildProcess; stderr: () => string; progressed: Promise<void> } {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'fusionrec.js'),
      'import',
      '--format',
      'beauty',
      '--db',
      db,
      '--batch-size',
      '3000',
      DATASET,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FUSIONREC_SECRET: '' } },
  );
  let err = '';
  const progressed = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = [...err.matchAll(/import: write (\d+) records, (\d+) events/g)].at(-1);
      if (m && Number(m[2]) > 0) resolve();
    });
    child.on('exit', () => reject(new Error(`import ended before reporting progress: ${err}`)));
  });
  child.stdout!.resume();
  return { child, stderr: () => err, progressed };
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.on('exit', (code, signal) => resolve({ code, signal }));
  });

function inspect() {
  const raw = new Database(db);
  try {
    return {
      integrity: raw.pragma('integrity_check', { simple: true }),
      events: raw.prepare('SELECT COUNT(*) FROM events').pluck().get() as number,
    };
  } finally {
    raw.close();
  }
}

describe('interrupted and crashed imports', { skip: noData }, () => {
  it('Ctrl-C stops after the current batch and says how to resume', async () => {
    const run = startImport();
    await run.progressed;
    run.child.kill('SIGINT');
    const { code } = await exited(run.child);
    assert.equal(code, 130, run.stderr());
    assert.match(run.stderr(), /resume with: fusionrec import --format beauty/);
    const state = inspect();
    assert.equal(state.integrity, 'ok');
    assert.ok(state.events > 0 && state.events < 198_502, `${state.events} events after Ctrl-C`);
  });

  it('kill -9 mid-import leaves an intact database; the rerun completes without duplicates', async () => {
    const eventsBefore = inspect().events;
    const run = startImport();
    await run.progressed;
    run.child.kill('SIGKILL');
    const { signal } = await exited(run.child);
    assert.equal(signal, 'SIGKILL');
    const state = inspect();
    assert.equal(state.integrity, 'ok');
    assert.ok(state.events >= eventsBefore && state.events < 198_502, `${state.events} events after kill`);

    const store = new SqliteStore(db);
    try {
      const report = await importDataset(store, 'beauty', DATASET);
      assert.ok(report.resumedFrom > 0, 'the rerun starts from the checkpoint');
      const st = await store.stats();
      assert.equal(st.items, 12_101);
      assert.equal(st.events, 198_502);
      assert.equal(st.users, 22_363);
      assert.deepEqual(st.eventsBySplit, { test: 22_363, train: 198_502 - 2 * 22_363, valid: 22_363 });
      // synthetic times grow with the position in each user's file sequence: in insertion order
      // they must strictly increase per user, so nothing is duplicated, lost or reordered
      const outOfOrder = store.db
        .prepare(
          `SELECT COUNT(*) FROM (SELECT ts, LAG(ts) OVER (PARTITION BY user ORDER BY seq) AS prev FROM events)
           WHERE prev >= ts`,
        )
        .pluck()
        .get();
      assert.equal(outOfOrder, 0);
      assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      await store.close();
    }
  });
});
