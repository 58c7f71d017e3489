import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { applyGraphErasure, graphErasure } from './erase.ts';
import { buildItemGraphs, DEFAULT_GRAPH_OPTIONS } from './graph.ts';
import {
  buildCrossUsers,
  type CrossUsers,
  crossUserScores,
  crossUserShares,
  userKeyHash,
  withoutUserRow,
  withUserKeys,
} from './users.ts';

// items 0-4 are scenario a, 5-9 scenario b
const scenarioOf = (i: number) => (i < 5 ? 'a' : 'b');
const codes = Uint16Array.from({ length: 10 }, (_, i) => (i < 5 ? 0 : 1));
const A = 0;
const B = 1;

function rowsOf(u: CrossUsers | undefined): string[] {
  if (!u) return [];
  const out: string[] = [];
  for (let r = 0; r + 1 < u.rows.offsets.length; r++)
    out.push([...u.rows.items.subarray(u.rows.offsets[r]!, u.rows.offsets[r + 1]!)].join(','));
  return out.sort();
}

describe('users across scenarios (the usersCross feature)', () => {
  test('keeps the users of two or more scenarios, as their distinct items in order', () => {
    const u = buildCrossUsers(
      [
        [5, 0, 5, 1],
        [1, 2],
        [7, 8],
        [3, 9],
      ],
      scenarioOf,
      10,
      100,
    );
    assert.deepEqual(rowsOf(u), ['0,1,5', '3,9']);
    assert.equal(
      buildCrossUsers(
        [
          [1, 2],
          [7, 8],
        ],
        scenarioOf,
        10,
        100,
      ),
      undefined,
      'no user spans two',
    );
    assert.equal(buildCrossUsers([[1, 7]], scenarioOf, 0, 100), undefined, 'switched off');
  });

  test('beyond the cap, an even stride over the users', () => {
    const seqs = Array.from({ length: 10 }, (_, k) => [k % 5, 5 + (k % 5)]);
    const u = buildCrossUsers(seqs, scenarioOf, 10, 4)!;
    assert.equal(u.rows.offsets.length - 1, 4);
    // users 0, 2, 5 and 7 of the 10
    assert.deepEqual(rowsOf(u), ['0,5', '0,5', '2,7', '2,7']);
  });

  test("scores the target scenario's items by the most similar users' summed similarity", () => {
    // the request holds a-items 0 and 1; b is the target
    const seqs = [
      [0, 1, 5], // shares 0 and 1 (rarer: held by fewer users)
      [0, 1, 2, 3, 6], // shares 0 and 1, but more a-items to divide by
      [0, 7], // shares 0 only
      [4, 8], // shares nothing
      [0, 1], // one scenario: not kept
    ];
    const u = buildCrossUsers(seqs, scenarioOf, 2, 100)!;
    const s = crossUserScores(u, codes, [0, 1], B);
    // two neighbours: users 0 and 1 (user 2 shares less, user 3 nothing); their b-items only
    assert.deepEqual([...s.keys()].sort(), [5, 6]);
    assert.equal(s.get(5), 1, 'the closest user, scaled to 1');
    const idf0 = Math.log(4 / 3);
    const idf1 = Math.log(4 / 2);
    const sim = (n: number) => (idf0 + idf1) / Math.sqrt(1 + n);
    assert.ok(Math.abs(s.get(6)! - sim(4) / sim(2)) < 1e-6);
    // with three neighbours user 2's item comes in below both
    const wide = crossUserScores({ ...u, neighbours: 3 }, codes, [0, 1], B);
    assert.ok(wide.get(7)! > 0 && wide.get(7)! < wide.get(6)!);
    // no a-item that any kept user holds: no score
    assert.equal(crossUserScores(u, codes, [9], B).size, 0);
    // the other direction: b-history, a-items scored, never b-items
    const back = crossUserScores(u, codes, [5], A);
    assert.deepEqual([...back.keys()].sort(), [0, 1]);
  });

  test('users without an item in the target scenario are not neighbours', () => {
    // three scenarios: 0-3 a, 4-6 b, 7-9 c
    const three = (i: number) => (i < 4 ? 'a' : i < 7 ? 'b' : 'c');
    const code3 = Uint16Array.from({ length: 10 }, (_, i) => (i < 4 ? 0 : i < 7 ? 1 : 2));
    // user 0 matches the request best but spans a and b only; user 1 matches less and has c
    const u = buildCrossUsers(
      [
        [0, 1, 4],
        [0, 2, 8],
        [3, 9],
      ],
      three,
      1,
      100,
    )!;
    assert.deepEqual([...crossUserScores(u, code3, [0, 1], 2).keys()], [8]);
    assert.deepEqual([...crossUserScores(u, code3, [0, 1], 1).keys()], [4]);
  });

  test("an item's score splits exactly over the history items the chosen users share", () => {
    const seqs = fc.array(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 6 }), {
      minLength: 2,
      maxLength: 14,
    });
    fc.assert(
      fc.property(
        seqs,
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
        (all, hist) => {
          const u = buildCrossUsers(all, scenarioOf, 3, 100);
          if (!u) return;
          const scores = crossUserScores(u, codes, hist, B);
          for (let item = 5; item < 10; item++) {
            const shares = crossUserShares(u, codes, hist, B, item);
            for (const h of shares.keys()) assert.ok(hist.includes(h), 'a share goes to a history item');
            const sum = [...shares.values()].reduce((a, b) => a + b, 0);
            assert.ok(
              Math.abs(sum - (scores.get(item) ?? 0)) < 1e-9,
              `item ${item}: ${sum} vs ${scores.get(item)}`,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test("a request is never matched with its own user's row", () => {
    const seqs = [
      [0, 1, 5], // the requesting user
      [0, 1, 6],
      [2, 7],
      [3], // one scenario: no row, but the keys stay aligned
      [0, 8],
    ];
    const names = ['me', 'twin', 'x', 'y', 'z'];
    const u = withUserKeys(buildCrossUsers(seqs, scenarioOf, 1)!, seqs, scenarioOf, names);
    assert.deepEqual([...u.keys!], ['me', 'twin', 'x', 'z'].map(userKeyHash));
    assert.deepEqual([...crossUserScores(u, codes, [0, 1], B).keys()], [5], 'unkeyed: the own row first');
    assert.deepEqual([...crossUserScores(u, codes, [0, 1], B, userKeyHash('me')).keys()], [6]);
    assert.deepEqual([...crossUserShares(u, codes, [0, 1], B, 5, userKeyHash('me')).keys()], []);
    // erasing "twin", whose items another row also had: their own row goes, keys and all
    const dup = withUserKeys(
      buildCrossUsers(
        [
          [0, 6],
          [0, 6],
        ],
        scenarioOf,
        1,
      )!,
      [
        [0, 6],
        [0, 6],
      ],
      scenarioOf,
      ['a', 'b'],
    );
    assert.deepEqual([...withoutUserRow(dup, [0, 6], userKeyHash('b')).keys!], [userKeyHash('a')]);
    assert.deepEqual(
      [...withoutUserRow(dup, [0, 6]).keys!],
      [userKeyHash('b')],
      'no key: the first such row',
    );
    assert.throws(() => withUserKeys(u, seqs.slice(1), scenarioOf, names.slice(1)));
  });

  test('removing a user row keeps what a retrain without the user keeps', () => {
    const seqs = fc.array(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 6 }), {
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(seqs, fc.nat(), (all, pick) => {
        const k = pick % all.length;
        const rest = all.filter((_, i) => i !== k);
        const u = buildCrossUsers(all, scenarioOf, 5, 100);
        if (!u) return;
        assert.deepEqual(
          rowsOf(withoutUserRow(u, all[k]!)),
          rowsOf(buildCrossUsers(rest, scenarioOf, 5, 100)),
        );
      }),
      { numRuns: 200 },
    );
  });

  test('a graph erasure takes the user out of the kept users', () => {
    const opts = { ...DEFAULT_GRAPH_OPTIONS, easeItems: 0, crossUsers: 5 };
    const seqs = [
      [0, 5, 1],
      [0, 6],
      [2, 7],
    ];
    const graphs = buildItemGraphs(seqs, 10, scenarioOf, opts);
    assert.deepEqual(rowsOf(graphs.users), ['0,1,5', '0,6', '2,7']);
    applyGraphErasure(
      graphs,
      graphErasure(graphs, [0, 6], () => [seqs[0]!, seqs[2]!], { ...opts, scenarioOf }),
    );
    assert.deepEqual(rowsOf(graphs.users), ['0,1,5', '2,7']);
    const alone = buildItemGraphs(seqs, 10, scenarioOf, { ...opts, crossScenario: false });
    assert.equal(alone.users, undefined, 'no cross-scenario pairs: no users');
  });
});
