import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredEvent } from '../store/types.ts';
import { coldStartCopies, fitCaseOf, fittingCopies, perScenario, thinHistoryCopies } from './fit-cases.ts';

const ev = (seq: number, item: string, ts = 0): StoredEvent => ({
  seq,
  id: `e${seq}`,
  user: 'u',
  item,
  scenario: item.startsWith('k') ? 'kitchen' : 'food',
  type: 'purchase',
  ts,
});
const index = new Map(['f1', 'f2', 'f3', 'k1'].map((id, i) => [id, i]));
const base = { index, weightsOf: () => ({}), allowsRepeats: () => false, alone: false, orderFree: false };

describe('fitCaseOf', () => {
  const events = [ev(1, 'f1', 10), ev(2, 'k1', 20), ev(3, 'f2', 30), ev(4, 'f3', 40)];

  it('takes the events before the target as its history, and masks them', () => {
    const c = fitCaseOf(events[2]!, events, base)!;
    assert.equal(c.target, index.get('f2'));
    assert.deepEqual(
      c.history.map((h) => h.item),
      [0, 3],
    );
    assert.deepEqual([...c.masked], [0, 3]);
  });

  it('without fusion the history is the target scenario alone', () => {
    const c = fitCaseOf(events[2]!, events, { ...base, alone: true })!;
    assert.deepEqual(
      c.history.map((h) => h.item),
      [0],
    );
  });

  it('without a time order every other event is history, wherever the target sits', () => {
    const flat = [ev(1, 'f1'), ev(2, 'f2'), ev(3, 'k1'), ev(4, 'f3')];
    const ordered = fitCaseOf(flat[1]!, flat, base)!;
    assert.deepEqual(
      ordered.history.map((h) => h.item),
      [0],
    );
    const free = fitCaseOf(flat[1]!, flat, { ...base, orderFree: true })!;
    assert.deepEqual(
      free.history.map((h) => h.item),
      [0, 3, 2],
    );
  });

  it('an unknown target item makes no case', () => {
    assert.equal(fitCaseOf(ev(9, 'gone'), events, base), undefined);
  });
});

describe('coldStartCopies', () => {
  const events = [ev(1, 'f1', 10), ev(2, 'k1', 20), ev(3, 'f2', 30), ev(4, 'f3', 40)];
  const cases = events.slice(1).map((t) => fitCaseOf(t, events, base)!);

  it("copies the cases with both scenarios in their history without the target scenario's entries", () => {
    const copies = coldStartCopies(cases, 10, 1);
    // k1's history is food alone: nothing to take out; f2 and f3 have food and kitchen before them
    assert.deepEqual(
      copies.map((c) => c.target),
      [index.get('f2'), index.get('f3')],
    );
    for (const c of copies) {
      assert.deepEqual(
        c.history.map((h) => h.item),
        [index.get('k1')],
      );
      assert.equal(c.scenario, 'food');
      assert.deepEqual([...c.masked], [index.get('k1')], 'the food it no longer has is not masked');
    }
    assert.equal(cases[1]!.history.length, 2, 'the original case is left as it was');
  });

  it('at most the number asked, drawn by seed', () => {
    assert.equal(coldStartCopies(cases, 1, 1).length, 1);
    assert.equal(coldStartCopies(cases, 0, 1).length, 0);
    const picks = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => coldStartCopies(cases, 1, seed)[0]!.target));
    assert.equal(picks.size, 2, 'different seeds draw different cases');
    assert.deepEqual(coldStartCopies(cases, 1, 3), coldStartCopies(cases, 1, 3));
  });
});

describe('thinHistoryCopies', () => {
  const ids = ['f1', 'f2', 'f3', 'f4', 'f5', 'k1', 'k2'];
  const at = new Map(ids.map((id, i) => [id, i]));
  const o = { ...base, index: at };
  const events = [
    ev(1, 'f1', 10),
    ev(2, 'k1', 20),
    ev(3, 'f2', 30),
    ev(4, 'f3', 40),
    ev(5, 'k2', 50),
    ev(6, 'f4', 60),
    ev(7, 'f5', 70),
  ];
  const cases = events.slice(1).map((t) => fitCaseOf(t, events, o)!);
  const id = (i: number) => ids[i]!;

  it("copies the cases with more than two entries of the target scenario, keeping that scenario's last one or two", () => {
    const copies = thinHistoryCopies(cases, 10, 1);
    // f4 (f1 f2 f3 before it) and f5 (f1 f2 f3 f4); no kitchen target has more than two kitchen entries before it
    assert.deepEqual(
      copies.map((c) => id(c.target)),
      ['f4', 'f5'],
    );
    for (const c of copies) {
      const own = c.history.filter((h) => h.scenario === 'food').map((h) => id(h.item));
      const original = cases.find((x) => x.target === c.target)!;
      const last = original.history.filter((h) => h.scenario === 'food').map((h) => id(h.item));
      assert.ok(own.length === 1 || own.length === 2, `one or two food entries left, got ${own.length}`);
      assert.deepEqual(own, last.slice(-own.length), 'the last ones, in their order');
      assert.deepEqual(
        c.history.filter((h) => h.scenario === 'kitchen').map((h) => id(h.item)),
        ['k1', 'k2'],
        'the other scenario is kept whole',
      );
      assert.deepEqual(
        [...c.masked].sort(),
        c.history.map((h) => h.item).sort(),
        'the food it no longer has is not masked',
      );
    }
    assert.equal(cases[5]!.history.length, 6, 'the original case is left as it was');
  });

  it('keeps one entry for some copies and two for others, by seed', () => {
    const lengths = new Set<number>();
    for (let seed = 1; seed <= 16; seed++)
      for (const c of thinHistoryCopies(cases, 10, seed))
        lengths.add(c.history.filter((h) => h.scenario === 'food').length);
    assert.deepEqual([...lengths].sort(), [1, 2]);
    assert.deepEqual(thinHistoryCopies(cases, 10, 3), thinHistoryCopies(cases, 10, 3));
  });

  it('needs another scenario in the history, and at most the number asked', () => {
    const foodOnly = events.filter((e) => e.scenario === 'food');
    const alone = foodOnly.slice(1).map((t) => fitCaseOf(t, foodOnly, o)!);
    assert.equal(thinHistoryCopies(alone, 10, 1).length, 0);
    assert.equal(thinHistoryCopies(cases, 1, 1).length, 1);
    assert.equal(thinHistoryCopies(cases, 0, 1).length, 0);
  });
});

describe('fittingCopies', () => {
  const ids = ['f1', 'f2', 'f3', 'f4', 'k1'];
  const o = { ...base, index: new Map(ids.map((id, i) => [id, i])) };
  const events = [ev(1, 'f1', 10), ev(2, 'k1', 20), ev(3, 'f2', 30), ev(4, 'f3', 40), ev(5, 'f4', 50)];
  const cases = events.slice(1).map((t) => fitCaseOf(t, events, o)!);
  const t = { fusion: true, coldStartCases: 10, thinHistoryCases: 10, seed: 1 };
  const own = (c: { history: { scenario: string }[] }) =>
    c.history.filter((h) => h.scenario === 'food').length;

  it('both kinds of copies, each as many as its setting asks', () => {
    // cold start: f2, f3, f4 (food and kitchen before them); thin history: f4 alone (three food before it)
    assert.deepEqual(fittingCopies(cases, t, 2).map(own).sort(), [
      0,
      0,
      0,
      own(thinHistoryCopies(cases, 10, 1)[0]!),
    ]);
    assert.equal(fittingCopies(cases, { ...t, thinHistoryCases: 0 }, 2).length, 3);
    assert.equal(fittingCopies(cases, { ...t, coldStartCases: 0 }, 2).length, 1);
  });

  it('none without fusion or with one scenario', () => {
    assert.equal(fittingCopies(cases, { ...t, fusion: false }, 2).length, 0);
    assert.equal(fittingCopies(cases, t, 1).length, 0);
  });
});

describe('perScenario', () => {
  it("cuts each sequence into one per scenario, keeping each one's order", () => {
    assert.deepEqual(perScenario([[0, 3, 1, 3, 2]], ['food', 'food', 'food', 'kitchen']), [
      [0, 1, 2],
      [3, 3],
    ]);
  });
});
