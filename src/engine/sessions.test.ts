import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryEntry, UserProfile } from '../profile/types.ts';
import { Sessions } from './sessions.ts';

const entry = (item: number, ts: number): HistoryEntry => ({ item, scenario: 's', weight: 1, ts });
const build = (h: readonly HistoryEntry[]) => ({ user: 'x', history: [...h] }) as unknown as UserProfile;

describe('Sessions', () => {
  test('expire ttl after their last event, by the injected clock', () => {
    let now = 0;
    const dropped: UserProfile[] = [];
    const s = new Sessions(
      { ttlMinutes: 10, maxSessions: 10, maxItems: 5 },
      () => now,
      (p) => dropped.push(p),
    );
    s.add('a', [entry(1, 0)]);
    const p = s.profile('a', build);
    assert.deepEqual(
      p?.history.map((h) => h.item),
      [1],
    );
    now = 9 * 60_000;
    s.add('a', [entry(2, now)]);
    assert.equal(dropped.length, 1, 'the profile of the old entries is released');
    now = 18 * 60_000;
    assert.ok(s.profile('a', build), 'nine minutes after the last event: alive');
    now = 19 * 60_000;
    assert.equal(s.profile('a', build), undefined);
    assert.equal(s.size, 0);
  });

  test('keep the last maxItems entries, and at most maxSessions sessions (least recently active out)', () => {
    const s = new Sessions(
      { ttlMinutes: 10, maxSessions: 2, maxItems: 3 },
      () => 0,
      () => {},
    );
    s.add(
      'a',
      [1, 2, 3, 4, 5].map((i) => entry(i, i)),
    );
    assert.deepEqual(
      s.profile('a', build)?.history.map((h) => h.item),
      [3, 4, 5],
    );
    s.add('b', [entry(1, 1)]);
    s.add('a', [entry(6, 6)]);
    s.add('c', [entry(1, 1)]);
    assert.equal(s.profile('b', build), undefined, 'b was the least recently active');
    assert.ok(s.profile('a', build) && s.profile('c', build));
  });

  test('a deleted item leaves every session', () => {
    const s = new Sessions(
      { ttlMinutes: 10, maxSessions: 5, maxItems: 5 },
      () => 0,
      () => {},
    );
    s.add('a', [entry(1, 1), entry(2, 2)]);
    s.profile('a', build);
    s.forgetItem(1);
    assert.deepEqual(
      s.profile('a', build)?.history.map((h) => h.item),
      [2],
    );
  });
});
