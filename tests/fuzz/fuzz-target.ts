/**
 * What the fuzz runs point at: the real engine over a copy of the demo database, with admin and
 * read keys configured, reached through fastify's `inject` (no sockets, so thousands of cases fit
 * in seconds), and the ids the store holds for the generators to aim at.
 */
import { sha256Hex } from '../../src/serve/auth.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { type DemoServer, startDemoServer } from '../server-fixture.ts';
import type { FuzzTarget, Keys } from './api-fuzz.ts';
import type { Known } from './schema-arb.ts';

export const FUZZ_KEYS: Keys = { admin: 'fuzz-admin-key-0123456789', read: 'fuzz-read-key-0123456789' };

export interface Fuzzable {
  server: DemoServer;
  target: FuzzTarget;
  doc: Record<string, unknown>;
  known: Known;
}

/** `pseudonymise`: user ids are stored as their HMAC (the demo's own users are then unknown ids) */
export async function startFuzzTarget(o: { pseudonymise?: boolean } = {}): Promise<Fuzzable> {
  const server = await startDemoServer({
    ...(o.pseudonymise ? { privacy: { pseudonymise: true, secret: 'fuzz-secret-0123456789' } } : {}),
    // the impression log writes on a timer: its flushes would read as writes by a rejected request
    feedback: { impressions: false },
    server: {
      adminKeyHashes: [sha256Hex(FUZZ_KEYS.admin)],
      readKeyHashes: [sha256Hex(FUZZ_KEYS.read)],
      bodyLimitBytes: 256 * 1024,
    },
  });
  const store = server.rt.store;
  if (!(store instanceof SqliteStore)) throw new Error('the fuzz target needs the SQLite store');
  const changes = store.db.prepare('SELECT total_changes() AS n');
  const app = server.server.app;
  const target: FuzzTarget = {
    async inject(o) {
      const r = await app.inject(o);
      return { statusCode: r.statusCode, body: r.body, headers: r.headers };
    },
    writes: () => (changes.get() as { n: number }).n,
  };
  const items = await store.items.list({ limit: 100_000 });
  const sentinel = JSON.stringify({ user: 'u001', scenario: 'shop', n: 30 });
  target.memory = async () =>
    (
      await app.inject({
        method: 'POST',
        url: '/v1/recommend',
        headers: { authorization: `Bearer ${FUZZ_KEYS.admin}`, 'content-type': 'application/json' },
        payload: sentinel,
      })
    ).body.replace(/"recommendationId":"[^"]*",?/, '');
  const users = (await store.users.list({ limit: 100_000 })).map((u) => u.id);
  const scenarios = await store.scenarios.list();
  const types = [...new Set(scenarios.flatMap((s) => Object.keys(s.eventWeights)))];
  // ids the store lacks at the start: PUT and events create them, later requests reach them
  const fresh = scenarios.flatMap((sc) =>
    [1, 2].map((n) => ({ id: `fuzz-new-${sc.id}-${n}`, scenario: sc.id })),
  );
  const itemIds = [...items.map((i) => i.id), ...fresh.map((i) => i.id)];
  users.push('fuzz-user-1', 'fuzz-user-2', 'fuzz-user-3');
  const known: Known = {
    byName: {
      items: itemIds,
      users,
      user: users,
      item: itemIds,
      exclude: itemIds,
      after: [...itemIds.slice(0, 20), ...users.slice(0, 20)],
      scenario: scenarios.map((s) => s.id),
      type: types,
      device: ['mobile', 'desktop', 'tv'],
      'scenarioOfItem:': [...items, ...fresh].map((i) => `${i.id}\u0000${i.scenario}`),
    },
    any: [...itemIds.slice(0, 30), ...users.slice(0, 30)],
  };
  const doc = (await app.inject({ url: '/openapi.json' })).json() as Record<string, unknown>;
  return { server, target, doc, known };
}
