import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../store/sqlite.ts';
import { importDataset } from '../index.ts';
import { parseCsvLine } from './csv.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-canonical-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const line = (text: string) => ({ text, lineNo: 1, location: 'x.csv:1' });

describe('parseCsvLine', () => {
  it('handles quotes, escaped quotes, empty and trailing cells', () => {
    assert.deepEqual(parseCsvLine(line('a,"b, c","say ""hi""",,')), ['a', 'b, c', 'say "hi"', '', '']);
    assert.deepEqual(parseCsvLine(line('')), ['']);
    assert.throws(() => parseCsvLine(line('a,"open')), { code: 'PARSE_ERROR', location: 'x.csv:1' });
  });
});

describe('canonical files', () => {
  it('imports a JSONL catalogue with scenarios, users, ISO dates and config scenarios', async () => {
    const store = new SqliteStore(join(dir, 'j.db'));
    try {
      const f = join(dir, 'a.jsonl');
      writeFileSync(
        f,
        [
          { kind: 'scenario', id: 'news', scenarioKind: 'news', eventWeights: { click: 1 } },
          { kind: 'item', id: 'n1', scenario: 'news', title: 'Story', createdAt: '2024-03-01' },
          { kind: 'user', id: 'u1', attributes: { country: 'PT' } },
          {
            kind: 'event',
            id: 'e1',
            user: 'u1',
            item: 'n1',
            scenario: 'news',
            type: 'click',
            ts: '2024-03-02T10:00:00Z',
          },
          {
            kind: 'event',
            id: 'e2',
            user: 'u1',
            item: 'v1',
            scenario: 'video',
            type: 'complete',
            ts: 1_709_400_000_000,
          },
        ]
          .map((o) => JSON.stringify(o))
          .join('\n'),
      );
      const video = { id: 'video', kind: 'video', eventWeights: {}, allowRepeats: true } as const;
      const r = await importDataset(store, 'jsonl', f, { scenarios: [video] });
      assert.deepEqual([r.scenarios, r.items, r.users, r.events.inserted], [2, 1, 1, 2]);
      assert.deepEqual(
        (await store.scenarios.list()).map((s) => [s.id, s.kind]),
        [
          ['news', 'news'],
          ['video', 'video'],
        ],
      );
      assert.equal((await store.items.get('n1'))?.createdAt, Date.UTC(2024, 2, 1));
      assert.equal((await store.events.ofUser('u1'))[0]?.ts, Date.UTC(2024, 2, 2, 10));
      assert.deepEqual((await store.users.get('u1'))?.attributes, { country: 'PT' });
    } finally {
      await store.close();
    }
  });

  it('imports an items CSV with category path, tags, attributes and availability', async () => {
    const store = new SqliteStore(join(dir, 'c.db'));
    try {
      await store.scenarios.upsert([
        { id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false },
      ]);
      const f = join(dir, 'items.csv');
      writeFileSync(
        f,
        'id,scenario,title,category,tags,available,attr.brand\nk1,shop,"Knife, 20 cm",Kitchen > Knives,steel|chef,false,Acme\n',
      );
      await importDataset(store, 'csv', f);
      assert.deepEqual(await store.items.get('k1'), {
        id: 'k1',
        scenario: 'shop',
        title: 'Knife, 20 cm',
        category: ['Kitchen', 'Knives'],
        tags: ['steel', 'chef'],
        available: false,
        attributes: { brand: 'Acme' },
      });
      const bad = join(dir, 'bad.csv');
      writeFileSync(bad, 'id,scenario,colour\nk2,shop,red\n');
      await assert.rejects(importDataset(store, 'csv', bad), {
        code: 'INVALID_INPUT',
        field: 'colour',
        location: 'bad.csv:1',
      });
    } finally {
      await store.close();
    }
  });
});
