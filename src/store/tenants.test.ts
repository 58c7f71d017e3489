/**
 * Tenants' stores kept apart: every store suite run with two tenants' stores interleaved (each
 * case on one tenant while the next case runs on the other), and writes of two tenants
 * interleaved row by row, after which each sees exactly its own rows. Stores are opened by URL
 * through `openStore`, as the server opens a tenant's `store.url`; a backend that keeps tenants in
 * one database (schemas) runs the same file with its URLs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { storeContract } from './contract.ts';
import { ev, item } from './data/cases/fixtures.ts';
import { dataStoreContract } from './data/contract.ts';
import { derivedStoreContract } from './derived/contract.ts';
import { openStore } from './open.ts';
import type { Store } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-tenants-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** stores of tenants a and b in turn, each fresh */
const tenantStore = () => openStore(`sqlite://${join(dir, `tenant-${n % 2 ? 'b' : 'a'}-${n++}.db`)}`);

dataStoreContract('two tenants interleaved (sqlite)', tenantStore, { interleave: true });
derivedStoreContract('two tenants interleaved (sqlite)', tenantStore, { interleave: true });
storeContract('two tenants interleaved (sqlite)', tenantStore, { interleave: true });

const T0 = Date.UTC(2024, 0, 1);

/** Everything a tenant can read back, in a comparable form. */
async function contents(s: Store) {
  const items = (await s.items.list({ limit: 10_000 })).map((i) => i.id);
  const users = (await s.users.list({ limit: 10_000 })).map((u) => u.id);
  const events: string[] = [];
  for (const u of users) events.push(...(await s.events.ofUser(u)).map((e) => e.id));
  return {
    scenarios: (await s.scenarios.list()).map((x) => x.id).sort(),
    items: items.sort(),
    users: users.sort(),
    events: events.sort(),
    eventCount: await s.events.count(),
    blobs: (await s.blobs.keys('profile')).sort(),
    meta: await s.getMeta('model'),
  };
}

describe('two tenants written at once', () => {
  it('each sees exactly its own scenarios, items, users, events, blobs and meta', async () => {
    const [a, b] = await Promise.all([
      openStore(`sqlite://${join(dir, 'shared-a.db')}`),
      openStore(`sqlite://${join(dir, 'shared-b.db')}`),
    ]);
    try {
      // the same ids in both tenants where it matters most: a shared name must not merge rows
      const write = async (s: Store, t: string, rounds: number) => {
        await s.scenarios.upsert([
          { id: `shop-${t}`, kind: 'ecommerce', eventWeights: {}, allowRepeats: false },
        ]);
        for (let i = 0; i < rounds; i++) {
          await s.items.upsert([item(`${t}-item-${i}`, `shop-${t}`), item('same-item', `shop-${t}`)]);
          await s.events.add([ev(`${t}-e${i}`, `${t}-user-${i % 3}`, `${t}-item-${i}`, `shop-${t}`, T0 + i)]);
          await s.events.add([ev(`${t}-s${i}`, 'same-user', 'same-item', `shop-${t}`, T0 + i)]);
          await s.blobs.put('profile', [{ key: `${t}-user-${i % 3}`, value: new Uint8Array([i]) }]);
        }
        await s.setMeta('model', `model-of-${t}`);
      };
      await Promise.all([write(a, 'a', 12), write(b, 'b', 7)]);
      // erasing a shared user id in one tenant leaves the other's
      assert.ok((await a.deleteUser('same-user')) > 0);
      const ca = await contents(a);
      const cb = await contents(b);
      const range = (k: number, f: (i: number) => string) => Array.from({ length: k }, (_, i) => f(i));
      assert.deepEqual(ca.scenarios, ['shop-a']);
      assert.deepEqual(cb.scenarios, ['shop-b']);
      assert.deepEqual(ca.items, [...range(12, (i) => `a-item-${i}`), 'same-item'].sort());
      assert.deepEqual(cb.items, [...range(7, (i) => `b-item-${i}`), 'same-item'].sort());
      assert.deepEqual(ca.users, ['a-user-0', 'a-user-1', 'a-user-2']);
      assert.deepEqual(cb.users, ['b-user-0', 'b-user-1', 'b-user-2', 'same-user']);
      assert.deepEqual(ca.events, range(12, (i) => `a-e${i}`).sort());
      assert.deepEqual(cb.events, [...range(7, (i) => `b-e${i}`), ...range(7, (i) => `b-s${i}`)].sort());
      assert.equal(ca.eventCount, 12);
      assert.equal(cb.eventCount, 14);
      assert.deepEqual(ca.blobs, ['a-user-0', 'a-user-1', 'a-user-2']);
      assert.deepEqual(cb.blobs, ['b-user-0', 'b-user-1', 'b-user-2']);
      assert.equal(ca.meta, 'model-of-a');
      assert.equal(cb.meta, 'model-of-b');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
