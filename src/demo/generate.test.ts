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

  test('--lang zh appends a Chinese shop and video slice and leaves the English demo as it was', () => {
    const en = generateDemo({ seed: 42, now: NOW, users: 60 });
    const zh = generateDemo({ seed: 42, now: NOW, users: 60, lang: 'zh' });
    const added = zh.items.filter((it) => it.attributes?.lang === 'zh');
    assert.deepEqual(
      zh.items.filter((it) => it.attributes?.lang !== 'zh'),
      en.items,
    );
    assert.deepEqual(
      zh.events.filter((e) => !e.id.startsWith('demo-zh-')),
      en.events,
    );
    assert.equal(added.length, 32);
    assert.deepEqual([...new Set(added.map((it) => it.scenario))].sort(), ['shop', 'video']);
    for (const it of added) assert.match(it.title, /\p{Script=Han}/u, it.id);
    assert.ok(
      added.some((it) => it.title.includes('炒锅')) && added.some((it) => it.title.includes('平底锅')),
    );
    const zhUsers = zh.users.filter((u) => u.id.startsWith('zh-u'));
    assert.equal(zhUsers.length, 12);
    const ids = new Set(added.map((it) => it.id));
    const zhEvents = zh.events.filter((e) => e.id.startsWith('demo-zh-'));
    assert.ok(zhEvents.length > 12 * 15);
    for (const e of zhEvents) assert.ok(ids.has(e.item) && e.user.startsWith('zh-u'), e.id);
    assert.deepEqual(generateDemo({ seed: 42, now: NOW, users: 60, lang: 'zh' }), zh, 'deterministic');
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
