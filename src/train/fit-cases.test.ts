import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredEvent } from '../store/types.ts';
import { coldStartCopies, fitCaseOf, perScenario } from './fit-cases.ts';

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

describe('perScenario', () => {
  it("cuts each sequence into one per scenario, keeping each one's order", () => {
    assert.deepEqual(perScenario([[0, 3, 1, 3, 2]], ['food', 'food', 'food', 'kitchen']), [
      [0, 1, 2],
      [3, 3],
    ]);
  });
});
