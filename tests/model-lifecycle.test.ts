/**
 * Model versions, hot swap and boot from a snapshot, end to end on the demo data (no encoder, so
 * no language model: the lifecycle does not depend on text): training writes and activates
 * versions; a server under continuous requests swaps to an activated version without a failed
 * request, whether it is activated through its API or by another process over the same store; a
 * boot from the snapshot plus the events after it answers as a boot that folds the whole log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { isRecError } from '../src/core/errors.ts';
import type { EventInput } from '../src/core/types.ts';
import { writeDemo } from '../src/demo/build.ts';
import { vectorBytes } from '../src/encode/cache.ts';
import { itemVectorNamespace } from '../src/encode/catalog.ts';
import type { Encoder } from '../src/encode/types.ts';
import { BOOT_NAMESPACE, dropSnapshot } from '../src/engine/boot.ts';
import { createEngine } from '../src/engine/create.ts';
import type { SwappableEngine } from '../src/engine/swap.ts';
import type { Engine } from '../src/engine/types.ts';
import { activateVersion, activeVersion, listVersions, pruneVersions } from '../src/model/versions.ts';
import { openRuntime, startServer } from '../src/serve/runtime.ts';
import { MATRIX_NAMESPACE, withStamp } from '../src/store/derived/matrix.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { trainFromStore } from '../src/train/train.ts';
import { BIN, runNode } from './run-process.ts';

const settings = (engine: Record<string, unknown> = {}, train: Record<string, unknown> = {}): Config =>
  parseConfig({
    train: { tuneGraph: false, fitCases: 40, heldOutCases: 40, decays: [0.8], threads: 1, ...train },
    seq: { enabled: false },
    engine: { staleModel: 'error', modelPollSeconds: 0, ...engine },
    server: { host: '127.0.0.1', port: 0 },
  });

const USERS = ['u001', 'u002', 'u003', 'u005', 'u008', 'u013'];
const SCENARIOS = ['shop', 'music', 'video', 'news'];

/** every user's answer in every scenario, with the model version left out */
async function answers(engine: Engine): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const user of USERS)
    for (const scenario of SCENARIOS) {
      const {
        modelVersion: _v,
        recommendationId: _id,
        ...rest
      } = await engine.recommend({
        user,
        scenario,
        n: 8,
        context: { device: 'mobile' },
      });
      out.push(rest);
    }
  return out;
}

/** every scenario's trending, popular and new list, overall and per device and hour band */
async function lists(engine: SwappableEngine): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const scenario of SCENARIOS)
    for (const list of ['trending', 'popular', 'new'] as const)
      for (const context of [undefined, { device: 'mobile' }, { device: 'tv', band: 'evening' as const }])
        out.push(await engine.list({ list, scenario, n: 20, ...(context ? { context } : {}) }));
  return out;
}

/** events on popular demo items, after everything stored (they move the counts and the trending list) */
async function lateEvents(store: SqliteStore, tag: string, n: number): Promise<EventInput[]> {
  const items = (await store.items.list({ limit: 400 })).filter((_, i) => i % 7 === 0);
  const last = (await store.events.scan({ limit: 1, afterSeq: 0 })).events[0]?.ts ?? Date.now();
  return Array.from({ length: n }, (_, k) => {
    const it = items[k % items.length]!;
    return {
      id: `${tag}-${k}`,
      user: USERS[k % USERS.length]!,
      item: it.id,
      scenario: it.scenario,
      type: k % 3 === 0 ? 'purchase' : 'click',
      ts: last + 86_400_000 * 40 + k * 60_000,
      context: { device: k % 2 === 0 ? 'mobile' : 'tv' },
    };
  });
}

describe('model lifecycle', () => {
  let dir: string;
  let db: string;
  let store: SqliteStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-lifecycle-'));
    db = join(dir, 'demo.db');
    store = new SqliteStore(db);
    await writeDemo(store, { users: 24, seed: 7, now: Date.UTC(2026, 0, 15) });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each training writes a version with its record and activates it; retention keeps the newest and the active one', async () => {
    const a = await trainFromStore(store, settings({}, { keepVersions: 2 }));
    const b = await trainFromStore(store, settings({}, { keepVersions: 2 }));
    assert.notEqual(a.version, b.version);
    assert.equal((await activeVersion(store))?.version, b.version);
    const list = await listVersions(store);
    assert.deepEqual(
      list.map((v) => v.version),
      [b.version, a.version],
    );
    const rec = list[0]!;
    assert.equal(rec.stamp, b.stamp);
    assert.ok(rec.lastSeq > 0 && rec.metrics.validNdcg10 >= 0 && rec.trainingSeconds > 0);
    assert.ok(rec.dataHash.length > 0 && rec.configHash.length > 0);
    // a third training drops a, the oldest beyond two
    const c = await trainFromStore(store, settings({}, { keepVersions: 2 }));
    assert.deepEqual(
      (await listVersions(store)).map((v) => v.version),
      [c.version, b.version],
    );
    // the active version is kept whatever its age
    await activateVersion(store, b.version);
    assert.deepEqual(await pruneVersions(store, 1), []);
    await activateVersion(store, c.version);
    assert.deepEqual(await pruneVersions(store, 1), [b.version]);
    await assert.rejects(
      activateVersion(store, 'no-such-version'),
      (e) => isRecError(e) && e.code === 'NOT_FOUND' && /no-such-version/.test(e.message),
    );
    assert.equal((await activeVersion(store))?.version, c.version);
  });

  test('answers name the version; a boot from the snapshot and the tail answers as a boot over the whole log', async () => {
    const config = settings({ snapshotEvents: 1 });
    const active = (await activeVersion(store))!.version;
    await dropSnapshot(store);
    await store.events.add((await lateEvents(store, 'before-snap', 30)).map((e) => ({ ...e, ts: e.ts! })));
    // no snapshot yet: this boot folds the whole log and saves one
    const first = (await createEngine(config, { store, encoder: null })) as SwappableEngine;
    assert.equal(first.bootReport?.from, 'full');
    assert.equal(first.bootReport?.saved, true);
    assert.equal((await first.recommend({ user: 'u001', scenario: 'music' })).modelVersion, active);
    // events after the snapshot, through the engine (a live write) and straight into the store
    await first.addEvents(await lateEvents(store, 'after-snap-a', 25));
    await first.close();
    await store.events.add((await lateEvents(store, 'after-snap-b', 20)).map((e) => ({ ...e, ts: e.ts! })));

    const noSave = settings({ snapshotEvents: 0 });
    // the context lists come from the snapshot and the tail too: the boot reads no page of the log
    const pages = store.events.pages;
    let pagesRead = 0;
    store.events.pages = (...args) => {
      pagesRead++;
      return pages.apply(store.events, args);
    };
    const fromSnapshot = (await createEngine(noSave, { store, encoder: null })) as SwappableEngine;
    store.events.pages = pages;
    assert.equal(pagesRead, 0);
    assert.equal(fromSnapshot.bootReport?.from, 'snapshot');
    assert.equal(fromSnapshot.bootReport?.folded, 45);
    const viaSnapshot = await answers(fromSnapshot);
    const listsViaSnapshot = await lists(fromSnapshot);
    await fromSnapshot.close();

    assert.ok(await store.blobs.get(BOOT_NAMESPACE, 'snapshot'));
    await dropSnapshot(store);
    const full = (await createEngine(noSave, { store, encoder: null })) as SwappableEngine;
    assert.equal(full.bootReport?.from, 'full');
    const viaFullLog = await answers(full);
    const listsViaFullLog = await lists(full);
    await full.close();
    assert.deepEqual(viaSnapshot, viaFullLog);
    assert.ok(JSON.stringify(listsViaFullLog).includes('"applied":true'), 'a context list is ranked');
    assert.deepEqual(listsViaSnapshot, listsViaFullLog);
  });

  test('a fold under way when an erasure drops the snapshot does not save what it read', async () => {
    await dropSnapshot(store);
    const scan = store.events.scan;
    let erased = false;
    store.events.scan = async (...args) => {
      // an erasure on another node, while this boot folds the log
      if (!erased) {
        erased = true;
        await dropSnapshot(store);
      }
      return scan.apply(store.events, args);
    };
    try {
      const engine = (await createEngine(settings({ snapshotEvents: 1 }), {
        store,
        encoder: null,
      })) as SwappableEngine;
      assert.equal(engine.bootReport?.from, 'full');
      assert.equal(engine.bootReport?.saved, false);
      await engine.close();
    } finally {
      store.events.scan = scan;
    }
    assert.equal(await store.blobs.get(BOOT_NAMESPACE, 'snapshot'), undefined);
  });

  test("a new version boots from its predecessor's snapshot, with the same answers as over the whole log", async () => {
    const previous = (await activeVersion(store))!.version;
    const next = (await trainFromStore(store, settings())).version;
    await store.events.add((await lateEvents(store, 'after-train', 15)).map((e) => ({ ...e, ts: e.ts! })));
    // the snapshot is the previous version's, and newer than the new version's training
    await activateVersion(store, previous);
    await dropSnapshot(store);
    const saver = (await createEngine(settings({ snapshotEvents: 1 }), {
      store,
      encoder: null,
    })) as SwappableEngine;
    assert.equal(saver.bootReport?.saved, true);
    await saver.close();
    await activateVersion(store, next);
    await store.events.add((await lateEvents(store, 'after-switch', 12)).map((e) => ({ ...e, ts: e.ts! })));
    const noSave = settings({ snapshotEvents: 0 });
    const fromSnapshot = (await createEngine(noSave, { store, encoder: null })) as SwappableEngine;
    assert.equal(fromSnapshot.bootReport?.from, 'snapshot');
    assert.equal(fromSnapshot.bootReport?.folded, 12);
    assert.equal(fromSnapshot.modelVersion, next);
    const viaSnapshot = await answers(fromSnapshot);
    await fromSnapshot.close();
    await dropSnapshot(store);
    const full = await createEngine(noSave, { store, encoder: null });
    assert.deepEqual(viaSnapshot, await answers(full));
    await full.close();
  });

  test('the vector indices are read back from the boot snapshot, with the answers of built ones', async () => {
    // random unit vectors for every item, under an encoder that only names them
    const encoder: Encoder = {
      id: 'test-random-16',
      dim: 16,
      encode: () => Promise.reject(new Error('vectors are stored')),
      close: async () => {},
    };
    let seed = 99;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    const items = await store.items.list({ limit: 1000 });
    await store.blobs.put(
      itemVectorNamespace(encoder.id),
      items.map((it) => {
        const v = Float32Array.from({ length: 16 }, rand);
        const norm = Math.hypot(...v);
        return { key: it.id, value: vectorBytes(v.map((x) => x / norm)) };
      }),
    );
    // HNSW for every scenario of the demo
    const config = settings({ exactSearchBelow: 5, snapshotEvents: 1 });
    const bootWith = async () => {
      const phases: string[] = [];
      const engine = await createEngine(config, { store, encoder, onBootPhase: (p) => phases.push(p) });
      const got = await answers(engine);
      await engine.close();
      return { phases, got };
    };
    const built = await bootWith();
    assert.ok(built.phases.includes('vector indices saved'), built.phases.join(', '));
    // the rows (written without a stamp, as before matrices) are read one by one and saved as one matrix
    assert.ok(built.phases.includes('catalog (vectors: rows, matrix saved)'), built.phases.join(', '));
    const readBack = await bootWith();
    assert.ok(readBack.phases.includes('vector indices (read back)'), readBack.phases.join(', '));
    assert.ok(readBack.phases.includes('catalog (vectors: matrix)'), readBack.phases.join(', '));
    assert.ok(
      readBack.got.some((a) => JSON.stringify(a).includes('"semantic"')),
      'the index serves answers',
    );
    assert.deepEqual(readBack.got, built.got);
    // another availability is another build
    const first = items[0]!;
    await store.items.upsert([{ ...first, available: false }]);
    const other = await bootWith();
    assert.ok(other.phases.includes('vector indices saved'));
    await store.items.upsert([first]);
    // a changed vector, written with its stamp, is read from the rows again
    const changed = Float32Array.from({ length: 16 }, (_, d) => (d === 0 ? 1 : 0));
    await store.blobs.put(
      itemVectorNamespace(encoder.id),
      withStamp([{ key: first.id, value: vectorBytes(changed) }]),
    );
    const afterChange = await bootWith();
    assert.ok(
      afterChange.phases.includes('catalog (vectors: rows, matrix saved)'),
      afterChange.phases.join(', '),
    );
    // an erasure drops the matrix with the snapshot
    await dropSnapshot(store);
    assert.equal(await store.blobs.count(MATRIX_NAMESPACE), 0);
  });

  test('a running engine folds the events since its snapshot into it every engine.snapshotSeconds', async () => {
    const engine = (await createEngine(settings({ snapshotEvents: 1, snapshotSeconds: 0.05 }), {
      store,
      encoder: null,
    })) as SwappableEngine;
    try {
      const seqOf = async () => {
        const probe = (await createEngine(settings({ snapshotEvents: 0 }), {
          store,
          encoder: null,
        })) as SwappableEngine;
        const seq = probe.bootReport?.snapshotSeq;
        await probe.close();
        return seq ?? 0;
      };
      const before = await seqOf();
      await store.events.add((await lateEvents(store, 'refresh', 5)).map((e) => ({ ...e, ts: e.ts! })));
      const last = (await store.events.scan({ afterSeq: before, limit: 100 })).events.at(-1)!.seq;
      let now = before;
      for (let waited = 0; now < last && waited < 5000; waited += 50) {
        await sleep(50);
        now = await seqOf();
      }
      assert.equal(now, last);
    } finally {
      await engine.close();
    }
  });

  test('a server under continuous requests swaps to an activated version: no failed request, answers name the new one', async () => {
    const old = (await activeVersion(store))!.version;
    const next = (await trainFromStore(store, settings())).version;
    await activateVersion(store, old);
    const rt = await openRuntime(settings({ modelPollSeconds: 0.2 }), { store, encoder: null });
    const server = await startServer(rt);
    // another process over the same store: its own connection
    const other = new SqliteStore(db);
    const seen: string[] = [];
    let failed = 0;
    let stop = false;
    const client = async (k: number) => {
      while (!stop) {
        const res = await fetch(`${server.url}/v1/recommend`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: USERS[k % USERS.length], scenario: SCENARIOS[k % 4], n: 5 }),
        });
        if (res.status !== 200) failed++;
        else seen.push(((await res.json()) as { modelVersion: string }).modelVersion);
        k++;
      }
    };
    const pool = await lateEvents(store, 'swap', 2000);
    const events = async () => {
      for (let k = 0; !stop && k < pool.length; k++) {
        const res = await fetch(`${server.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(pool[k]),
        });
        if (res.status >= 300) failed++;
        await sleep(5);
      }
    };
    const load = [client(0), client(1), client(2), client(3), events()];
    try {
      await sleep(300);
      // through this server's admin API
      const r = await fetch(`${server.url}/v1/models/${next}/activate`, { method: 'POST' });
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { serving: string }).serving, next);
      await sleep(300);
      // by another process: the server notices within its poll interval
      await activateVersion(other, old);
      for (let waited = 0; rt.engine.modelVersion !== old && waited < 10_000; waited += 50) await sleep(50);
      await sleep(300);
      const unknown = await fetch(`${server.url}/v1/models/nope-1/activate`, { method: 'POST' });
      assert.equal(unknown.status, 404);
      const body = (await unknown.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'NOT_FOUND');
      assert.match(body.error.message, /nope-1/);
      const listed = (await (await fetch(`${server.url}/v1/models`)).json()) as {
        active: string;
        serving: string;
        versions: { version: string; active: boolean }[];
      };
      assert.equal(listed.active, old);
      assert.equal(listed.serving, old);
      assert.ok(listed.versions.some((v) => v.version === next && !v.active));
    } finally {
      stop = true;
      await Promise.all(load);
      await server.close();
      await rt.close();
      await other.close();
    }
    assert.equal(failed, 0);
    // the answers moved from the old version to the new one and back
    const firstNext = seen.indexOf(next);
    assert.ok(seen[0] === old && firstNext > 0, `${seen[0]} then ${next} at ${firstNext}`);
    assert.ok(seen.lastIndexOf(old) > seen.lastIndexOf(next));
    assert.ok(seen.every((v) => v === old || v === next));
  });

  test('requests made while a version is being swapped in are answered, by the old one until the swap', async () => {
    const engine = await createEngine(settings(), { store, encoder: null });
    try {
      const before = engine.modelVersion;
      let settled = false;
      const swap = engine.reloadModel!().finally(() => {
        settled = true;
      });
      const during: Promise<{ modelVersion: string }>[] = [];
      for (let k = 0; !settled; k++) {
        during.push(engine.recommend({ user: USERS[k % USERS.length]!, scenario: SCENARIOS[k % 4]!, n: 5 }));
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(during.length > 1, `${during.length} requests during the swap`);
      const got = await Promise.all(during);
      assert.ok(
        got.every((r) => r.modelVersion === before || r.modelVersion === (engine.modelVersion as string)),
      );
      assert.equal(await swap, engine.modelVersion);
    } finally {
      await engine.close();
    }
  });

  test('CLI: model list (table and JSON) and activate; an unknown version is an error naming it', async () => {
    const run = (args: string[]) => runNode([BIN, ...args, '--db', db]);
    const json = await run(['model', 'list', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout) as {
      active: string;
      versions: { version: string; active: boolean }[];
    };
    assert.ok(body.versions.length >= 2);
    assert.equal(body.versions.filter((v) => v.active).length, 1);
    const other = body.versions.find((v) => !v.active)!.version;
    const act = await run(['model', 'activate', other]);
    assert.equal(act.code, 0, act.stderr);
    assert.equal((await activeVersion(store))?.version, other);
    const table = await run(['model', 'list']);
    assert.match(table.stdout, new RegExp(`\\* +${other}`));
    const bad = await run(['model', 'activate', 'v-missing']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /NOT_FOUND.*"v-missing"/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });
});
