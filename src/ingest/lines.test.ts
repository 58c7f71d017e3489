import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readLines } from './lines.ts';

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(bytes: Buffer, opts: Parameters<typeof readLines>[1] = {}) {
  const f = join(dir, 'f.txt');
  writeFileSync(f, bytes);
  const out: string[] = [];
  for await (const l of readLines(f, opts)) out.push(`${l.location}=${l.text}`);
  return out;
}

describe('readLines', () => {
  it('splits LF and CRLF lines, drops a leading BOM', async () => {
    assert.deepEqual(await collect(Buffer.from('\ufeffa\r\nb\n\nc\n', 'utf8')), [
      'f.txt:1=a',
      'f.txt:2=b',
      'f.txt:3=',
      'f.txt:4=c',
    ]);
  });

  it('refuses a last line without its newline (a file cut short), naming it, unless told to accept it', async () => {
    await assert.rejects(collect(Buffer.from('1\t1,2,3\n2\t4,5,6', 'utf8')), {
      code: 'PARSE_ERROR',
      location: 'f.txt:2',
    });
    assert.deepEqual(await collect(Buffer.from('a\nb'), { unterminatedLastLine: 'accept' }), [
      'f.txt:1=a',
      'f.txt:2=b',
    ]);
  });

  it('joins lines that straddle 1 MiB chunks', async () => {
    const long = 'x'.repeat((1 << 20) + 17);
    assert.deepEqual(await collect(Buffer.from(`a\n${long}\nb\n`)), [
      'f.txt:1=a',
      `f.txt:2=${long}`,
      'f.txt:3=b',
    ]);
  });

  it('names file:line of invalid UTF-8, or decodes it as Latin-1 when asked', async () => {
    const bytes = Buffer.from([
      0x6f, 0x6b, 0x0a, 0x72, 0x6f, 0x63, 0x6b, 0x20, 0x66, 0x72, 0x61, 0x6e, 0xe7, 0x61, 0x69, 0x73, 0x0a,
    ]);
    await assert.rejects(collect(bytes), { code: 'PARSE_ERROR', location: 'f.txt:2' });
    assert.deepEqual(await collect(bytes, { encoding: 'utf-8-or-latin1' }), [
      'f.txt:1=ok',
      'f.txt:2=rock français',
    ]);
  });

  it('refuses a line longer than maxLineBytes, even without any newline', async () => {
    await assert.rejects(collect(Buffer.from(`a\n${'y'.repeat(5000)}`), { maxLineBytes: 1000 }), {
      code: 'PAYLOAD_TOO_LARGE',
      location: 'f.txt:2',
    });
  });
});
