/** The primary's restart policy for crashed workers (the restart itself: tests/server-workers-restart.test.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RESTART_POLICY, SlotBackoff } from './cluster.ts';

describe('SlotBackoff', () => {
  const p = RESTART_POLICY;

  test('waits 0.5 s, then doubles up to the cap', () => {
    const b = new SlotBackoff({ ...p, maxCrashes: 100 });
    const waits: (number | undefined)[] = [];
    // each crash 1 s after the last restart: quick crashes, spread beyond the window
    for (let i = 0; i < 8; i++) waits.push(b.crashed(i * 20_000, 1_000));
    assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  test('gives up after maxCrashes quick crashes within the window', () => {
    const b = new SlotBackoff(p);
    let t = 0;
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < p.maxCrashes; i++) {
      const w = b.crashed(t, 200);
      waits.push(w);
      t += (w ?? 0) + 200;
    }
    assert.deepEqual(waits, [500, 1000, 2000, 4000, undefined]);
  });

  test('crashes spread wider than the window never give up', () => {
    const b = new SlotBackoff(p);
    for (let i = 0; i < 20; i++)
      assert.notEqual(b.crashed(i * (p.windowMs / (p.maxCrashes - 1)), 1_000), undefined);
  });

  test('a worker that served a while starts the backoff and the count over', () => {
    const b = new SlotBackoff(p);
    for (let i = 0; i < p.maxCrashes - 1; i++) b.crashed(i * 1000, 100);
    assert.equal(b.crashed(40_000, p.stableAfterMs), 500);
    assert.equal(b.crashed(41_000, 100), 1000);
  });
});
