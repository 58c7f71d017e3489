/**
 * Model versions as experiment variants, over real HTTP on the demo data with two real trained
 * versions: an A/B experiment serves each arm from its version (named in the answer and the
 * impression), team-draft interleaving merges the two versions' lists with each item's version
 * logged, a version that is not stored is refused naming the field, and a stop releases the
 * loaded version.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { writeDemo } from '../src/demo/build.ts';
import { listVersions } from '../src/model/versions.ts';
import { openRuntime, type Runtime, startServer } from '../src/serve/runtime.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { trainFromStore } from '../src/train/train.ts';
import { call } from './server-fixture.ts';

const settings = (train: Record<string, unknown> = {}): Config =>
  parseConfig({
    train: { tuneGraph: false, fitCases: 40, heldOutCases: 40, decays: [0.8], threads: 1, ...train },
    seq: { enabled: false },
    engine: { staleModel: 'error', modelPollSeconds: 0 },
    feedback: { flushMs: 20 },
    server: { host: '127.0.0.1', port: 0, rateLimitPerMinute: 0 },
  });

const users = Array.from({ length: 24 }, (_, i) => `u${String(i + 1).padStart(3, '0')}`);

describe('model versions as experiment variants (HTTP, two trained versions)', () => {
  let dir: string;
  let store: SqliteStore;
  let rt: Runtime;
  let url: string;
  let close: () => Promise<void>;
  let older: string;
  let active: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-exp-versions-'));
    store = new SqliteStore(join(dir, 'demo.db'));
    await writeDemo(store, { users: 24, seed: 7, now: Date.UTC(2026, 0, 15) });
    // two versions whose rankers differ (another recency decay), the newer one active
    older = (await trainFromStore(store, settings({ decays: [0.3], ids: false }))).version;
    active = (await trainFromStore(store, settings())).version;
    rt = await openRuntime(settings(), { store, encoder: null });
    const server = await startServer(rt);
    url = server.url;
    close = async () => {
      await server.close();
      await rt.close();
    };
  });
  after(async () => {
    await close?.();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** the versions the serving generation holds for experiments */
  const loaded = () =>
    (rt.engine as unknown as { gen: { engine: { variants: { loaded: string[] } } } }).gen.engine.variants
      .loaded;

  test('a version that is not stored is refused, naming the field, and nothing is created', async () => {
    const r = await call(url, 'POST', '/v1/experiments', {
      id: 'shop-nope',
      scenario: 'shop',
      kind: 'ab',
      variants: [
        { name: 'control', share: 0.5 },
        { name: 'old', share: 0.5, modelVersion: 'no-such-version' },
      ],
    });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.field, 'variants[1].modelVersion');
    assert.match(r.body.error.message, /no-such-version/);
    const list = await call(url, 'GET', '/v1/experiments');
    assert.deepEqual(list.body.experiments, []);
  });

  test('A/B: each arm is served from its version, named in the answer and the impression', async () => {
    const created = await call(url, 'POST', '/v1/experiments', {
      id: 'shop-versions',
      scenario: 'shop',
      kind: 'ab',
      variants: [
        { name: 'current', share: 0.5 },
        { name: 'older', share: 0.5, modelVersion: older },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(loaded(), [older]);
    const served: Record<string, number> = { current: 0, older: 0 };
    const byId = new Map<string, { variant: string; version: string }>();
    /** the older arm's answer to a user whose history no click below changes */
    let oldArm: { user: string; items: { item: string; score: number }[] } | undefined;
    const events: unknown[] = [];
    for (const [k, user] of users.entries()) {
      const r = await call(url, 'POST', '/v1/recommend', { user, scenario: 'shop', n: 6 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const { experiment, modelVersion, recommendationId, items } = r.body;
      assert.equal(modelVersion, experiment.variant === 'older' ? older : active);
      served[experiment.variant]!++;
      byId.set(recommendationId, { variant: experiment.variant, version: modelVersion });
      if (k % 2 === 1 && experiment.variant === 'older') oldArm ??= { user, items };
      if (k % 2 === 0)
        events.push({
          id: `vclick-${k}`,
          user,
          item: items[0].item,
          scenario: 'shop',
          type: 'click',
          ts: Date.now(),
          recommendationId,
        });
    }
    assert.ok(served.current! > 0 && served.older! > 0, JSON.stringify(served));
    assert.equal((await call(url, 'POST', '/v1/events/batch', { events })).status, 200);
    const status = await call(url, 'GET', '/v1/experiments/shop-versions');
    assert.equal(status.status, 200);
    const counts = Object.fromEntries(
      status.body.variants.map((v: { variant: string; impressions: number }) => [v.variant, v.impressions]),
    );
    assert.deepEqual(counts, { current: served.current, older: served.older });
    // the impressions in the store name the version that answered
    let after: number | undefined = 0;
    let seen = 0;
    while (after !== undefined) {
      const page = await store.impressions.scan({ experiment: 'shop-versions', afterSeq: after, limit: 100 });
      for (const imp of page.impressions) {
        const want = byId.get(imp.id);
        if (!want) continue;
        assert.equal(imp.modelVersion, want.version);
        assert.equal(imp.variant, want.variant);
        seen++;
      }
      after = page.next;
    }
    assert.equal(seen, users.length);
    const stopped = await call(url, 'POST', '/v1/experiments/shop-versions/stop');
    assert.equal(stopped.body.status, 'stopped');
    assert.deepEqual(loaded(), [], 'the stop released the version');
    // the same user without the experiment: the active version ranks with other weights
    assert.ok(oldArm, 'an older-arm user without a click');
    const now = await call(url, 'POST', '/v1/recommend', { user: oldArm.user, scenario: 'shop', n: 6 });
    assert.equal(now.body.modelVersion, active);
    assert.notDeepEqual(
      now.body.items.map((x: { item: string; score: number }) => [x.item, x.score]),
      oldArm.items.map((x) => [x.item, x.score]),
    );
  });

  test('interleaving of two versions: each item credited to its team and logged with its version', async () => {
    const created = await call(url, 'POST', '/v1/experiments', {
      id: 'music-versions',
      scenario: 'music',
      kind: 'interleave',
      variants: [
        { name: 'older', modelVersion: older },
        { name: 'current', modelVersion: active },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ids: string[] = [];
    for (const user of users.slice(0, 8)) {
      const r = await call(url, 'POST', '/v1/recommend', { user, scenario: 'music', n: 6 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.experiment.modelVersions, { older, current: active });
      ids.push(r.body.recommendationId);
    }
    const status = await call(url, 'GET', '/v1/experiments/music-versions');
    assert.equal(status.body.interleaving.impressions, ids.length);
    for (const id of ids) {
      const imp = await store.impressions.get(id);
      assert.ok(imp && imp.items.length > 0);
      for (const x of imp.items) {
        assert.ok(x.team === 'older' || x.team === 'current');
        assert.equal(x.modelVersion, x.team === 'older' ? older : active);
      }
    }
    // a training while the experiment runs keeps the version it names, beyond keepVersions
    const third = (await trainFromStore(store, settings({ keepVersions: 1 }))).version;
    const kept = (await listVersions(store)).map((v) => v.version);
    assert.ok(kept.includes(third) && kept.includes(older) && kept.includes(active), kept.join(', '));
    await call(url, 'POST', '/v1/experiments/music-versions/stop');
    await trainFromStore(store, settings({ keepVersions: 1 }));
    assert.equal((await listVersions(store)).length, 1, 'stopped: the next training prunes them');
  });
});
