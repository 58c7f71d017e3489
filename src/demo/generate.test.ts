import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseCatalog, THEMES } from './catalog.ts';
import { generateDemo } from './generate.ts';

const NOW = Date.UTC(2026, 0, 15, 12);

function demoHash(seed: number): { items: number; events: number; sha256: string } {
  const d = generateDemo({ seed, now: NOW, users: 60 });
  const sha256 = createHash('sha256')
    .update(JSON.stringify({ items: d.items, users: d.users, events: d.events, scenarios: d.scenarios }))
    .digest('hex');
  return { items: d.items.length, events: d.events.length, sha256 };
}

describe('demo data', () => {
  // Hashes taken from the generator when the catalog was positional tuples in catalog.ts, before it
  // became catalog.json: moving the data must not change one item or event.
  test('the same seed gives the same items, users and events as before the catalog became JSON', () => {
    assert.deepEqual(demoHash(42), {
      items: 240,
      events: 3631,
      sha256: '6d8a6059b6c18f94bee935f0e14344ebafaf2507760032cf03c4b449158ab85e',
    });
    assert.deepEqual(demoHash(7), {
      items: 240,
      events: 3682,
      sha256: '417e392f64f535931bf0ea1273716cecc5e2aaa417926efc9aed0bdd2872cf4a',
    });
  });

  test('every theme is present in every scenario', () => {
    assert.equal(THEMES.length, 10);
    const items = generateDemo({ seed: 1, now: NOW, users: 2 }).items;
    for (const t of THEMES)
      for (const s of ['shop', 'music', 'video', 'news'])
        assert.ok(
          items.some((it) => it.scenario === s && it.attributes?.theme === t.id),
          `${t.id}/${s}`,
        );
  });

  test('a broken catalog fails on load, naming the field', () => {
    const good = JSON.parse(readFileSync(new URL('./catalog.json', import.meta.url), 'utf8'));
    good.themes[1].music[2].tempo = '120';
    assert.throws(() => parseCatalog(JSON.stringify(good)), {
      code: 'INVALID_INPUT',
      field: 'themes[1].music[2].tempo',
    });
  });
});
