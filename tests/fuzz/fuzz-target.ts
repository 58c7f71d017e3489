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

export async function startFuzzTarget(): Promise<Fuzzable> {
  const server = await startDemoServer({
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
  const users = (await store.users.list({ limit: 100_000 })).map((u) => u.id);
  const scenarios = await store.scenarios.list();
  const types = [...new Set(scenarios.flatMap((s) => Object.keys(s.eventWeights)))];
  const itemIds = items.map((i) => i.id);
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
      'scenarioOfItem:': items.map((i) => `${i.id}\u0000${i.scenario}`),
    },
    any: [...itemIds.slice(0, 30), ...users.slice(0, 30)],
  };
  const doc = (await app.inject({ url: '/openapi.json' })).json() as Record<string, unknown>;
  return { server, target, doc, known };
}
