import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { writeDemo } from '../demo/build.ts';
import { ExactIndex } from '../index/exact.ts';
import { defaultRetrievers } from '../retrieve/registry.ts';
import type { Retriever } from '../retrieve/types.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { createComponents, createEngine } from './create.ts';

describe('composition root', () => {
  let dir: string;
  let store: SqliteStore;
  const config = parseConfig({});
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fusionrec-create-'));
    store = new SqliteStore(join(dir, 'demo.db'));
    await writeDemo(store, { users: 8 });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the retrievers come from the override, by the names the config chains', async () => {
    const empty = (name: string): Retriever => ({ name, retrieve: () => [] });
    const engine = await createEngine(config, {
      store,
      encoder: null,
      onWarning: () => {},
      // every retriever but the catalog finds nothing
      retrievers: (s) => ({
        ...Object.fromEntries(Object.keys(defaultRetrievers(s)).map((n) => [n, empty(n)])),
        catalog: defaultRetrievers(s).catalog!,
      }),
    });
    try {
      const res = await engine.recommend({ user: 'u001', scenario: 'music', n: 5 });
      assert.equal(res.items.length, 5);
      assert.deepEqual(res.retrievers, ['catalog']);
      assert.ok(res.items.every((r) => r.reasons.retriever === 'catalog'));
    } finally {
      await engine.close();
    }
    // a store passed in is not the engine's to close
    assert.ok((await store.items.count()) > 0);
  });

  test('the default chain over the same store, for contrast', async () => {
    const engine = await createEngine(config, { store, encoder: null, onWarning: () => {} });
    try {
      const res = await engine.recommend({ user: 'u001', scenario: 'music', n: 5 });
      assert.ok(res.retrievers.includes('collaborative'), res.retrievers.join(', '));
    } finally {
      await engine.close();
    }
  });

  test('components: overrides are used as given and not closed; the index factory defaults by size', async () => {
    const made = await createComponents(config, { store, encoder: null, generator: null });
    assert.equal(made.store, store);
    assert.equal(made.encoder, null);
    assert.equal(made.generator(), null);
    assert.ok(made.vectorIndex(8, 10) instanceof ExactIndex);
    assert.ok(!(made.vectorIndex(8, config.engine.exactSearchBelow + 1) instanceof ExactIndex));
    await made.close();
    assert.ok((await store.items.count()) > 0);
  });
});
