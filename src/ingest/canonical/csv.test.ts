import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../store/sqlite.ts';
import { importDataset } from '../index.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SHOP = { id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false } as const;

async function withStore(name: string, fn: (store: SqliteStore) => Promise<void>): Promise<void> {
  const store = new SqliteStore(join(dir, `${name}.db`));
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('canonical CSV with csv-parse', () => {
  it('refuses a last row without its newline: a cut row can still look whole (ts 1709 of 1709400000000)', async () => {
    await withStore('cut', async (store) => {
      const f = file(
        'cut.csv',
        'id,user,item,scenario,type,ts\ne1,u1,k1,shop,view,1709400000000\ne2,u1,k1,shop,view,1709',
      );
      await assert.rejects(importDataset(store, 'csv', f, { scenarios: [SHOP] }), {
        code: 'PARSE_ERROR',
        location: 'cut.csv:3',
      });
      assert.equal((await store.stats()).events, 0);
    });
  });

  it('imports a quoted field spanning lines and a quoted comma', async () => {
    await withStore('multi', async (store) => {
      const f = file(
        'multi.csv',
        [
          'id,scenario,title,description,tags',
          'k1,shop,"Knife, 20 cm","Forged steel.',
          '',
          'Hand wash ""only"", please.",steel|chef',
          'k2,shop,Board,,wood',
          '',
        ].join('\r\n'),
      );
      const r = await importDataset(store, 'csv', f, { scenarios: [SHOP] });
      assert.equal(r.items, 2);
      const k1 = await store.items.get('k1');
      assert.equal(k1?.title, 'Knife, 20 cm');
      // CRLF ends lines; the empty line inside the quotes is kept as part of the text
      assert.equal(k1?.description, 'Forged steel.\n\nHand wash "only", please.');
      assert.deepEqual(k1?.tags, ['steel', 'chef']);
      assert.deepEqual((await store.items.get('k2'))?.tags, ['wood']);
    });
  });

  it('names the line a record starts on, after a record that spans lines and blank lines', async () => {
    await withStore('lines', async (store) => {
      const f = file(
        'lines.csv',
        'id,scenario,title,available\nk1,shop,"two\nlines",true\n\n   \nk2,shop,Pan,maybe\n',
      );
      await assert.rejects(importDataset(store, 'csv', f, { scenarios: [SHOP] }), {
        code: 'INVALID_INPUT',
        field: 'available',
        location: 'lines.csv:6',
      });
      assert.equal(await store.items.get('k1'), undefined, 'a failed import writes nothing');
    });
  });

  it('an unterminated quote is a PARSE_ERROR at the line its record starts on', async () => {
    await withStore('open', async (store) => {
      const atEnd = file('open.csv', 'id,scenario,title\nk1,shop,Pan\nk2,shop,"open\nk3,shop,Pot\n');
      await assert.rejects(importDataset(store, 'csv', atEnd, { scenarios: [SHOP] }), {
        code: 'PARSE_ERROR',
        location: 'open.csv:3',
      });
      const bad = file('bad.csv', 'id,scenario,title\nk1,shop,"a"b\n');
      await assert.rejects(importDataset(store, 'csv', bad, { scenarios: [SHOP] }), {
        code: 'PARSE_ERROR',
        location: 'bad.csv:2',
      });
    });
  });

  it('a record longer than the line limit is refused, so an open quote cannot swallow the file', async () => {
    await withStore('long', async (store) => {
      const rows = Array.from({ length: 50 }, (_, i) => `k${i},shop,title ${i}`);
      const f = file('long.csv', ['id,scenario,title', 'k,shop,"open', ...rows, ''].join('\n'));
      await assert.rejects(importDataset(store, 'csv', f, { scenarios: [SHOP], maxLineBytes: 200 }), {
        code: 'PAYLOAD_TOO_LARGE',
        location: 'long.csv:2',
      });
    });
  });

  it('a wrong number of cells names the record', async () => {
    await withStore('cells', async (store) => {
      const f = file('cells.csv', 'id,scenario,title\nk1,shop,"a\nb",extra\n');
      await assert.rejects(importDataset(store, 'csv', f, { scenarios: [SHOP] }), {
        code: 'PARSE_ERROR',
        location: 'cells.csv:2',
        message: /expected 3 cells, got 4/,
      });
    });
  });
});
