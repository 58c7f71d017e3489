/**
 * A shared dataset with a file cut short is refused before anything is written: a last line without
 * its newline names the file and line, and a file cut at a line boundary fails the count the dataset
 * declares (food-kitchen's instance_num.txt and num.txt, Last.fm's readme.txt, Scientific's index
 * files). The truncated copies live in a temp folder; the untouched files are symlinks to the data.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { importDataset } from '../src/ingest/index.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { contentHash, DATA, noData, tempDir } from './import-helpers.ts';

const tmp = tempDir('truncated');
after(tmp.cleanup);
let copies = 0;

/** A copy of dataset `name` whose `file` is replaced by `cut(original bytes)`. */
function truncatedCopy(name: string, file: string, cut: (b: Buffer) => Buffer): string {
  const dir = join(tmp.dir, `${name}-${copies++}`);
  const src = join(DATA, name);
  mkdirSync(dir);
  for (const f of readdirSync(src)) {
    if (f === file) writeFileSync(join(dir, f), cut(readFileSync(join(src, f))));
    else symlinkSync(join(src, f), join(dir, f));
  }
  return dir;
}

/** the first `fraction` of the bytes, ending in the middle of a line */
const midLine = (fraction: number) => (b: Buffer) => {
  let end = Math.floor(b.length * fraction);
  while (b[end - 1] === 0x0a || b[end] === 0x0a) end++;
  return b.subarray(0, end);
};
/** the first `fraction` of the bytes, cut after a whole line */
const atLineEnd = (fraction: number) => (b: Buffer) =>
  b.subarray(0, b.indexOf(0x0a, Math.floor(b.length * fraction)) + 1);
/** the lines that are left without the last `n` */
const dropLastLines = (n: number) => (b: Buffer) => {
  let end = b.length - 1;
  for (let k = 0; k < n; k++) end = b.lastIndexOf(0x0a, end - 1);
  return b.subarray(0, end + 1);
};

/** Imports `dir` into a fresh store, expects `expected`, and checks that nothing was written. */
async function refused(format: string, dir: string, expected: { code: string; location: RegExp }) {
  const store = new SqliteStore(join(dir, '..', `${format}-${copies++}.db`));
  try {
    const before = contentHash(store);
    await assert.rejects(
      importDataset(store, format, dir),
      (e: Error & { code: string; location?: string }) => {
        assert.equal(e.code, expected.code, e.message);
        assert.match(e.location ?? '', expected.location, e.message);
        return true;
      },
    );
    assert.equal(contentHash(store), before, 'the failed import wrote nothing');
    assert.deepEqual((await store.stats()).events, 0);
  } finally {
    store.close();
  }
}

describe('truncated dataset files', { skip: noData }, () => {
  it('food-kitchen: train_B.txt cut mid-line names the file and its last line', async () => {
    const dir = truncatedCopy('food-kitchen', 'train_B.txt', midLine(0.7));
    const lines = readFileSync(join(dir, 'train_B.txt'), 'utf8').split('\n').length;
    await refused('food-kitchen', dir, {
      code: 'PARSE_ERROR',
      location: new RegExp(`^train_B\\.txt:${lines}$`),
    });
  });

  it('food-kitchen: train_B.txt cut after a whole line fails instance_num.txt', async () => {
    const dir = truncatedCopy('food-kitchen', 'train_B.txt', atLineEnd(0.7));
    await refused('food-kitchen', dir, { code: 'INVALID_INPUT', location: /^train_B\.txt$/ });
  });

  it('food-kitchen: items.tsv cut after a whole line fails num.txt', async () => {
    const dir = truncatedCopy('food-kitchen', 'items.tsv', dropLastLines(3));
    await refused('food-kitchen', dir, { code: 'INVALID_INPUT', location: /^items\.tsv$/ });
  });

  it("lastfm-2k: user_artists.dat cut after a whole line fails readme.txt's statistics", async () => {
    const dir = truncatedCopy('lastfm-2k', 'user_artists.dat', dropLastLines(1));
    await refused('lastfm-2k', dir, { code: 'INVALID_INPUT', location: /^user_artists\.dat$/ });
  });

  it('scientific: a held-out file cut short fails the user index; train rows cut from a user are found', async () => {
    const valid = truncatedCopy('scientific', 'Scientific.valid.inter', dropLastLines(2));
    await refused('scientific', valid, { code: 'INVALID_INPUT', location: /^Scientific\.valid\.inter$/ });
    const train = truncatedCopy('scientific', 'Scientific.train.inter', dropLastLines(1));
    await refused('scientific', train, { code: 'INVALID_INPUT', location: /^Scientific\.train\.inter:\d+$/ });
  });

  it('beauty: Beauty.txt cut mid-line (it declares no counts)', async () => {
    const dir = truncatedCopy('beauty', 'Beauty.txt', midLine(0.5));
    await refused('beauty', dir, { code: 'PARSE_ERROR', location: /^Beauty\.txt:\d+$/ });
  });
});
