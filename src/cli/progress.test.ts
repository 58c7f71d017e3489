import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, ProgressMeter, progressReporter } from './progress.ts';

describe('ProgressMeter', () => {
  it('never goes backwards, never passes the total', () => {
    const m = new ProgressMeter(() => 0);
    assert.equal(m.read(50, 100).value, 50);
    assert.equal(m.read(20, 100).value, 50, 'a second read of a file does not move the bar back');
    const over = m.read(130, 100);
    assert.deepEqual([over.value, over.fraction], [100, 1]);
  });

  it('has no estimate until a second and 1 % of the work have passed, then a finite one', () => {
    let t = 0;
    const m = new ProgressMeter(() => t);
    assert.equal(m.read(0, 1000).eta, undefined);
    t = 500;
    assert.equal(m.read(100, 1000).eta, undefined, 'too early');
    t = 2000;
    assert.equal(m.read(0, 1000).eta, 18, 'from the rate so far: 100 in 2 s, 900 left');
    t = 3000;
    assert.equal(m.read(1000, 1000).eta, undefined, 'done');
  });

  it('a total below the work already shown starts a new count: never over 100 %', () => {
    const m = new ProgressMeter(() => 0);
    assert.equal(m.read(1400, 1500).value, 1400);
    const next = m.read(1, 4);
    assert.deepEqual([next.value, next.total, next.fraction], [1, 4, 0.25]);
  });

  it('without a total shows the count', () => {
    const m = new ProgressMeter(() => 0);
    assert.equal(m.read(1234, 0).value, 1234);
  });
});

describe('progressReporter (plain lines off a terminal)', () => {
  it('prints the first reading and the completion, never a count past the total, never "NULL" or "INF"', () => {
    const out: string[] = [];
    const stream = { isTTY: false, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
    const bar = progressReporter('import', { stream, plainEveryMs: 60_000 });
    bar.update(0, 10);
    bar.update(5, 10);
    bar.update(12, 10);
    bar.update(12, 10);
    assert.deepEqual(out, ['import: 0/10 (0%)\n', 'import: 10/10 (100%)\n']);
    assert.doesNotMatch(out.join(''), /NULL|INF|NaN/);
  });
});

describe('formatDuration', () => {
  it('reads as time', () => {
    assert.deepEqual(
      [formatDuration(8.4), formatDuration(185), formatDuration(4020)],
      ['8 s', '3 min 05 s', '1 h 07 min'],
    );
  });
});

describe('progressReporter (a bar on a terminal)', () => {
  it('fills one bar without going back or past 100 %, and shows no estimate before it has one', () => {
    let out = '';
    const stream = {
      isTTY: true,
      columns: 120,
      write: (s: string) => {
        out += s;
        return true;
      },
      cursorTo: () => true,
      moveCursor: () => true,
      clearLine: () => true,
      clearScreenDown: () => true,
      on: () => stream,
      removeListener: () => stream,
    } as unknown as NodeJS.WriteStream;
    const bar = progressReporter('import', { stream });
    for (const [done, total] of [
      [0, 200],
      [150, 200],
      [100, 200],
      [260, 200],
    ] as const)
      bar.update(done, total, `writing: ${done} records`);
    bar.stop();
    const percents = [...out.matchAll(/(\d+)% \|/g)].map((m) => Number(m[1]));
    assert.ok(percents.length > 0, out);
    assert.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
      out,
    );
    assert.equal(Math.max(...percents), 100);
    assert.doesNotMatch(out, /NULL|INF|NaN|eta/);
  });
});
