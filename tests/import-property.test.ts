/**
 * Property: whatever is wrong with one record of a canonical file (broken JSON, missing fields,
 * NaN/Infinity, negative or far-future timestamps, unknown scenarios, invalid UTF-8, lone
 * surrogates, huge fields), the import fails with a RecError that has a stable code and names
 * the field and/or file:line, and the store stays byte-for-byte as it was.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { isRecError, RecError } from '../src/core/errors.ts';
import { eventSchema, itemSchema, MAX_ID_LENGTH, MAX_TEXT_LENGTH } from '../src/core/types.ts';
import { validate } from '../src/core/validate.ts';
import { toRecord } from '../src/ingest/canonical/records.ts';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { contentHash, tempDir } from './import-helpers.ts';

const tmp = tempDir('property');
after(tmp.cleanup);
const T = Date.UTC(2024, 0, 1);
const MAX_LINE = 64 * 1024;
const SHOP = { id: 'shop', kind: 'ecommerce', eventWeights: {}, allowRepeats: false } as const;

interface Expect {
  codes: readonly string[];
  /** the field the error must name, when the corruption is about one field */
  field?: string;
}
interface Corruption {
  line: Buffer;
  expect: Expect;
  label: string;
}

const event = (n: number, extra: Record<string, unknown> = {}) => ({
  kind: 'event',
  id: `prop-e${n}`,
  user: `prop-u${n % 7}`,
  item: `prop-i${n % 5}`,
  scenario: 'shop',
  type: 'view',
  value: 1,
  text: 'fine',
  ts: T + n * 1000,
  ...extra,
});
const jsonLine = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8');

/** A valid file: a new scenario, items and events the store does not have yet. */
const BASE: Buffer[] = [
  jsonLine({ kind: 'scenario', id: 'shop', scenarioKind: 'ecommerce' }),
  ...[0, 1, 2, 3, 4].map((i) =>
    jsonLine({ kind: 'item', id: `prop-i${i}`, scenario: 'shop', title: `Item ${i}` }),
  ),
  ...Array.from({ length: 30 }, (_, n) => jsonLine(event(n))),
];

const INVALID_UTF8 = [
  [0xff],
  [0x80],
  [0xc0, 0xaf],
  [0xc3, 0x28],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
];
const REQUIRED = ['id', 'user', 'item', 'scenario', 'type', 'ts'] as const;
const STRING_FIELDS = ['id', 'user', 'item', 'text'] as const;

/** Puts raw bytes inside the JSON string value of `field`. */
function spliceIntoString(o: Record<string, unknown>, field: string, bytes: readonly number[]): Buffer {
  const marker = '@@SPLICE@@';
  const text = JSON.stringify({ ...o, [field]: `a${marker}b` });
  const at = Buffer.from(text.slice(0, text.indexOf(marker)), 'utf8');
  const rest = Buffer.from(text.slice(text.indexOf(marker) + marker.length), 'utf8');
  return Buffer.concat([at, Buffer.from(bytes), rest]);
}

const jsonCorruption: fc.Arbitrary<Corruption> = fc.oneof(
  // broken JSON: a valid line cut short, a trailing comma, or bare NaN/Infinity (not JSON)
  fc.tuple(fc.nat(200), fc.nat()).map(([n, cut]) => {
    const text = JSON.stringify(event(100 + n));
    return {
      line: Buffer.from(text.slice(0, 1 + (cut % (text.length - 1)))),
      expect: { codes: ['PARSE_ERROR'] },
      label: 'truncated JSON',
    };
  }),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', 'undefined', '1e99999x').map((v) => ({
    line: Buffer.from(JSON.stringify(event(101)).replace('"value":1', `"value":${v}`)),
    expect: { codes: ['PARSE_ERROR'] },
    label: `value ${v} as JSON text`,
  })),
  fc.constant({
    line: Buffer.from(`${JSON.stringify(event(102)).slice(0, -1)},}`),
    expect: { codes: ['PARSE_ERROR'] },
    label: 'trailing comma',
  }),
  // a missing required field
  fc.constantFrom(...REQUIRED).map((f) => {
    const o: Record<string, unknown> = event(103);
    delete o[f];
    return { line: jsonLine(o), expect: { codes: ['INVALID_INPUT'], field: f }, label: `missing ${f}` };
  }),
  // wrong kinds and shapes
  fc.constantFrom('[1,2]', '"event"', 'null', '42', '{"kind":"evnt","id":"x"}').map((t) => ({
    line: Buffer.from(t),
    expect: { codes: ['INVALID_INPUT'] },
    label: `not a record: ${t}`,
  })),
  fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null)).map((v) => ({
    line: jsonLine(event(104, { value: v })),
    expect: { codes: ['INVALID_INPUT'], field: 'value' },
    label: `value ${JSON.stringify(v)}`,
  })),
  // timestamps: negative, fractional, far future, not a date
  fc
    .oneof(
      fc.integer({ min: -1e15, max: -1 }),
      fc.integer({ min: Date.now() + 3 * 86_400_000, max: 8.64e15 }),
      fc.double({ min: 1, max: 1e12, noInteger: true, noNaN: true }),
      fc.constantFrom('yesterday', '2024-13-45', ''),
    )
    .map((ts) => ({
      line: jsonLine(event(105, { ts })),
      expect: { codes: ['INVALID_INPUT'], field: 'ts' },
      label: `ts ${ts}`,
    })),
  // an unknown scenario, on an event or an item
  fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((s) => s !== 'shop'),
      fc.boolean(),
    )
    .map(([sc, onItem]) => ({
      line: jsonLine(
        onItem ? { kind: 'item', id: 'prop-x', scenario: sc, title: 'x' } : event(106, { scenario: sc }),
      ),
      expect: { codes: ['UNKNOWN_SCENARIO'], field: 'scenario' },
      label: `unknown scenario ${sc}`,
    })),
  // invalid UTF-8 bytes inside a string
  fc.tuple(fc.constantFrom(...INVALID_UTF8), fc.constantFrom(...STRING_FIELDS)).map(([bytes, f]) => ({
    line: spliceIntoString(event(107), f, bytes),
    expect: { codes: ['PARSE_ERROR'] },
    label: `invalid UTF-8 ${bytes.map((b) => b.toString(16))} in ${f}`,
  })),
  // a lone surrogate, escaped in JSON (valid JSON, invalid Unicode)
  fc.tuple(fc.integer({ min: 0xd800, max: 0xdfff }), fc.constantFrom(...STRING_FIELDS)).map(([cp, f]) => ({
    line: Buffer.from(
      JSON.stringify(event(108, { [f]: 'x@' })).replace('x@', `x\\u${cp.toString(16)}`),
      'utf8',
    ),
    expect: { codes: ['INVALID_INPUT'], field: f },
    label: `lone surrogate U+${cp.toString(16)} in ${f}`,
  })),
  // NUL characters
  fc.constantFrom(...STRING_FIELDS).map((f) => ({
    line: jsonLine(event(109, { [f]: 'a\u0000b' })),
    expect: { codes: ['INVALID_INPUT'], field: f },
    label: `NUL in ${f}`,
  })),
  // huge fields, and a line longer than the reader accepts
  fc
    .oneof(
      fc.integer({ min: MAX_ID_LENGTH + 1, max: 4 * MAX_ID_LENGTH }).map((n) => ['user', n] as const),
      fc.integer({ min: MAX_TEXT_LENGTH + 1, max: MAX_TEXT_LENGTH + 5000 }).map((n) => ['text', n] as const),
    )
    .map(([f, n]) => ({
      line: jsonLine(event(110, { [f]: 'z'.repeat(n) })),
      expect: { codes: ['INVALID_INPUT'], field: f },
      label: `${f} of ${n} characters`,
    })),
  fc.integer({ min: MAX_LINE + 1, max: 2 * MAX_LINE }).map((n) => ({
    line: jsonLine(event(111, { text: 'y'.repeat(n) })),
    expect: { codes: ['PAYLOAD_TOO_LARGE'] },
    label: `line of ${n} bytes`,
  })),
  fc.integer({ min: 257, max: 400 }).map((n) => ({
    line: jsonLine({
      kind: 'item',
      id: 'prop-many-tags',
      scenario: 'shop',
      tags: Array.from({ length: n }, (_, i) => `t${i}`),
    }),
    expect: { codes: ['INVALID_INPUT'], field: 'tags' },
    label: `${n} tags`,
  })),
);

const csvRow = (cells: Record<string, string>) => {
  const row: Record<string, string> = {
    id: 'prop-c1',
    user: 'prop-u1',
    item: 'prop-i1',
    scenario: 'shop',
    type: 'view',
    value: '2.5',
    text: '"a, quoted ""text"""',
    ts: String(T),
    split: 'train',
    'context.device': 'mobile',
    ...cells,
  };
  return Buffer.from(Object.values(row).join(','), 'utf8');
};
const CSV_HEADER = Buffer.from('id,user,item,scenario,type,value,text,ts,split,context.device');
const CSV_BASE = [
  CSV_HEADER,
  ...Array.from({ length: 20 }, (_, n) => csvRow({ id: `prop-c${n}`, ts: String(T + n) })),
];

const csvCorruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', 'abc', '0x10').map((v) => ({
    line: csvRow({ value: v }),
    expect: { codes: ['INVALID_INPUT'], field: 'value' },
    label: `CSV value ${v}`,
  })),
  fc
    .oneof(
      fc.integer({ min: -1e15, max: -1 }).map(String),
      fc.integer({ min: Date.now() + 3 * 86_400_000, max: 8.64e15 }).map(String),
      fc.constantFrom('NaN', 'soon', '2024-02-30T00:00:00Z', '1.5'),
    )
    .map((ts) => ({
      line: csvRow({ ts }),
      expect: { codes: ['INVALID_INPUT'], field: 'ts' },
      label: `CSV ts ${ts}`,
    })),
  fc.constantFrom('id', 'user', 'item', 'scenario', 'type', 'ts').map((f) => ({
    line: csvRow({ [f]: '' }),
    expect: { codes: ['INVALID_INPUT'], field: f },
    label: `CSV empty ${f}`,
  })),
  fc
    .stringMatching(/^[a-z]{1,10}$/)
    .filter((s) => s !== 'shop')
    .map((s) => ({
      line: csvRow({ scenario: s }),
      expect: { codes: ['UNKNOWN_SCENARIO'], field: 'scenario' },
      label: `CSV scenario ${s}`,
    })),
  fc.constantFrom(...INVALID_UTF8).map((bytes) => ({
    line: Buffer.concat([csvRow({ text: 'x' }), Buffer.from(bytes)]),
    expect: { codes: ['PARSE_ERROR'] },
    label: 'CSV invalid UTF-8',
  })),
  fc.constantFrom('"unterminated', '"a"b', 'a,b').map((t) => ({
    line: csvRow({ text: t }),
    expect: { codes: ['PARSE_ERROR'] },
    label: `CSV cell ${t}`,
  })),
  fc.constant({
    line: csvRow({ split: 'holdout' }),
    expect: { codes: ['INVALID_INPUT'], field: 'split' },
    label: 'CSV split holdout',
  }),
);

const fileHash = (f: string) =>
  existsSync(f) ? createHash('sha256').update(readFileSync(f)).digest('hex') : 'absent';

describe('canonical import rejects every corrupted record and leaves the store unchanged', () => {
  let store: SqliteStore;
  let db: string;
  let before0: { rows: string; db: string; wal: string; stats: unknown };
  const snapshot = async () => ({
    rows: contentHash(store),
    db: fileHash(db),
    wal: fileHash(`${db}-wal`),
    stats: await store.stats(),
  });

  before(async () => {
    db = join(tmp.dir, 'prop.db');
    store = new SqliteStore(db);
    // some existing data, so "unchanged" is about a store with content
    const seed = join(tmp.dir, 'seed.jsonl');
    writeFileSync(
      seed,
      [
        { kind: 'scenario', id: 'music', scenarioKind: 'music', allowRepeats: true },
        { kind: 'item', id: 'song-1', scenario: 'music', title: 'Song' },
        {
          kind: 'event',
          id: 'seed-1',
          user: 'seed-user',
          item: 'song-1',
          scenario: 'music',
          type: 'play',
          ts: T,
        },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    await importDataset(store, 'jsonl', seed);
    await store.checkpoint();
    before0 = await snapshot();
  });
  after(() => store?.close());

  it('accepts the uncorrupted files (in another store), so each failure is the corruption', async () => {
    const other = new SqliteStore(join(tmp.dir, 'other.db'));
    try {
      const j = join(tmp.dir, 'ok.jsonl');
      writeFileSync(j, Buffer.concat(BASE.flatMap((l) => [l, Buffer.from('\n')])));
      assert.equal((await importDataset(other, 'jsonl', j)).events.inserted, 30);
      const c = join(tmp.dir, 'ok.csv');
      writeFileSync(c, Buffer.concat(CSV_BASE.flatMap((l) => [l, Buffer.from('\n')])));
      assert.equal((await importDataset(other, 'csv', c)).events.inserted, 20);
      const e = await other.events.ofUser('prop-u1', { scenario: 'shop' });
      assert.equal(e.find((x) => x.id === 'prop-c3')?.text, 'a, quoted "text"');
      assert.deepEqual(e.find((x) => x.id === 'prop-c3')?.context, { device: 'mobile' });
    } finally {
      await other.close();
    }
  });

  for (const [format, base, corruption, runs] of [
    ['jsonl', BASE, jsonCorruption, 150],
    ['csv', CSV_BASE, csvCorruption, 80],
  ] as const) {
    it(`${format}: error with code and field or file:line; store byte-for-byte unchanged`, async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(corruption, fc.nat(), async (c, at) => {
          // the header of a CSV file stays first
          const pos = format === 'csv' ? 1 + (at % base.length) : at % (base.length + 1);
          const lines = [...base.slice(0, pos), c.line, ...base.slice(pos)];
          const file = join(tmp.dir, `bad${n++}.${format}`);
          writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
          // CSV cannot declare scenarios: `shop` comes from config, as the CLI passes it
          const scenarios = [SHOP];
          const err = await importDataset(store, format, file, { maxLineBytes: MAX_LINE, scenarios }).then(
            () => undefined,
            (e: unknown) => e,
          );
          assert.ok(isRecError(err), `${c.label}: expected a RecError, got ${String(err)}`);
          assert.ok(c.expect.codes.includes(err.code), `${c.label}: code ${err.code}: ${err.message}`);
          assert.equal(err.location, `bad${n - 1}.${format}:${pos + 1}`, c.label);
          if (c.expect.field !== undefined)
            assert.equal(err.field, c.expect.field, `${c.label}: ${err.message}`);
          assert.deepEqual(await snapshot(), before0, `${c.label}: the store changed`);
        }),
        { numRuns: runs, seed: 20261128 },
      );
    });
  }

  it('the validators turn any value into a record or a RecError naming a field', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record(
            {
              kind: fc.constantFrom('event', 'item', 'user', 'scenario'),
              id: fc.oneof(fc.string(), fc.integer()),
              user: fc.string(),
              item: fc.string(),
              scenario: fc.string(),
              scenarioKind: fc.string(),
              type: fc.string(),
              ts: fc.oneof(fc.integer(), fc.double(), fc.string()),
              value: fc.oneof(fc.double(), fc.string()),
              title: fc.string({ unit: 'binary' }),
            },
            { requiredKeys: [] },
          ),
        ),
        (v) => {
          try {
            toRecord(v, 'prop.jsonl:7');
          } catch (e) {
            assert.ok(e instanceof RecError, String(e));
            assert.equal(e.code, 'INVALID_INPUT');
            assert.ok(e.field, e.message);
            assert.equal(e.location, 'prop.jsonl:7');
          }
          for (const schema of [eventSchema, itemSchema]) {
            try {
              validate(schema, v, { location: 'x:1' });
            } catch (e) {
              assert.ok(e instanceof RecError && e.code === 'INVALID_INPUT' && e.field, String(e));
            }
          }
        },
      ),
      { numRuns: 400, seed: 7 },
    );
  });
});
