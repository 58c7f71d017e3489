import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextObservationOf, contextWithout } from '../engine/snapshot.ts';
import type { StoredEvent } from '../store/types.ts';
import { fitTargets, heldOutCases } from './held-out.ts';

let seq = 0;
const ev = (user: string, item: string, type = 'purchase'): StoredEvent => ({
  seq: ++seq,
  id: `e${seq}`,
  user,
  item,
  scenario: item.startsWith('k') ? 'kitchen' : 'food',
  type,
  ts: seq,
});
const positive = (e: StoredEvent) => e.type !== 'skip';

describe('heldOutCases', () => {
  const byUser = new Map<string, StoredEvent[]>([
    // last positive event is f3 (the skip after it is not a target)
    ['a', [ev('a', 'f1'), ev('a', 'k1'), ev('a', 'f3'), ev('a', 'k9', 'skip')]],
    // only one positive event: nothing to learn the target from
    ['b', [ev('b', 'f1')]],
    // the last item repeats an earlier one
    ['c', [ev('c', 'f1'), ev('c', 'k2'), ev('c', 'f1')]],
    // has a validation target: excluded
    ['d', [ev('d', 'f1'), ev('d', 'k2')]],
    ['e', [ev('e', 'k1'), ev('e', 'k2')]],
  ]);

  const of = (h: { targets: StoredEvent[] }, user: string) =>
    h.targets.filter((e) => e.user === user).map((e) => e.item);
  const users = (h: { targets: StoredEvent[] }) => [...new Set(h.targets.map((e) => e.user))].sort();

  it('holds out the last positive event per scenario of eligible users and removes them from their list only', () => {
    const h = heldOutCases(byUser, positive, 10, 1, { exclude: new Set(['d']) });
    // c's last food item repeats an earlier one: its kitchen item is its only target
    assert.deepEqual(users(h), ['a', 'c', 'e']);
    assert.deepEqual(of(h, 'a'), ['k1', 'f3']);
    assert.deepEqual(of(h, 'c'), ['k2']);
    assert.deepEqual(
      h.byUser.get('a')!.map((e) => e.item),
      ['f1', 'k9'],
    );
    assert.deepEqual(
      h.byUser.get('e')!.map((e) => e.item),
      ['k1'],
    );
    // everyone else untouched, and the input not mutated
    assert.equal(h.byUser.get('b'), byUser.get('b'));
    assert.equal(h.byUser.get('d'), byUser.get('d'));
    assert.equal(byUser.get('a')!.length, 4);
  });

  it('takes a repeated item as the target where its scenario allows repeats', () => {
    const repeats = (scenario: string) => scenario === 'food';
    const h = heldOutCases(byUser, positive, 10, 1, { exclude: new Set(['d']), allowsRepeats: repeats });
    // c's last item f1 repeats an earlier one: a target now, since food allows repeats
    assert.deepEqual(of(h, 'c'), ['k2', 'f1']);
    assert.deepEqual(
      h.byUser.get('c')!.map((e) => e.item),
      ['f1'],
    );
  });

  it('keeps one positive event as history: the earliest candidate stays', () => {
    // one event per scenario: both would be targets, the earlier (f) stays as history
    const two = new Map([['u', [ev('u', 'f5'), ev('u', 'k5')]]]);
    const h = heldOutCases(two, positive, 10, 1);
    assert.deepEqual(of(h, 'u'), ['k5']);
    assert.deepEqual(
      h.byUser.get('u')!.map((e) => e.item),
      ['f5'],
    );
  });

  it('every scenario gets cases when every user ends in the same one', () => {
    // each user's events run food, kitchen, food: the last item overall is always food
    const many = new Map<string, StoredEvent[]>();
    for (let u = 0; u < 30; u++)
      many.set(`u${u}`, [ev(`u${u}`, `f${u}`), ev(`u${u}`, `k${u}`), ev(`u${u}`, `f${100 + u}`)]);
    const h = heldOutCases(many, positive, 20, 3);
    assert.equal(h.targets.length, 20, 'heldOutCases caps the cases, not the users');
    const kitchen = h.targets.filter((e) => e.scenario === 'kitchen').length;
    assert.ok(kitchen >= 9 && kitchen <= 10, `${kitchen} kitchen targets of 20`);
    for (const e of h.targets) assert.ok(!h.byUser.get(e.user)!.includes(e));
  });

  it('samples by seed, whatever order the users come in; 0 holds nothing out', () => {
    const many = new Map<string, StoredEvent[]>();
    for (let u = 0; u < 50; u++) many.set(`u${u}`, [ev(`u${u}`, `f${u}`), ev(`u${u}`, `k${u}`)]);
    const reversed = new Map([...many.entries()].reverse());
    const a = users(heldOutCases(many, positive, 7, 3));
    const b = users(heldOutCases(reversed, positive, 7, 3));
    assert.equal(a.length, 7);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, users(heldOutCases(many, positive, 7, 4)));
    assert.equal(heldOutCases(many, positive, 0, 3).targets.length, 0);
  });
});

describe('heldOutCases on histories without a time order', () => {
  it('holds out a seeded random positive event, never a repeated item, not always the last', () => {
    const many = new Map<string, StoredEvent[]>();
    for (let u = 0; u < 40; u++)
      many.set(`u${u}`, [ev(`u${u}`, 'f1'), ev(`u${u}`, 'f2'), ev(`u${u}`, 'f3'), ev(`u${u}`, 'f1')]);
    const h = heldOutCases(many, positive, 40, 5, { orderFree: true });
    assert.equal(h.targets.length, 40);
    const items = h.targets.map((e) => e.item);
    // f1 occurs twice in every list: never a target; f2 and f3 both are
    assert.ok(!items.includes('f1'));
    assert.ok(items.includes('f2') && items.includes('f3'));
    for (const t of h.targets) {
      assert.equal(h.byUser.get(t.user)!.length, 3);
      assert.ok(!h.byUser.get(t.user)!.includes(t));
    }
    const again = heldOutCases(many, positive, 40, 5, { orderFree: true });
    assert.deepEqual(
      again.targets.map((e) => e.id),
      h.targets.map((e) => e.id),
    );
    // with an order, the last positive event (f1, a repeat) makes no case
    assert.equal(heldOutCases(many, positive, 40, 5).targets.length, 0);
  });
});

describe('fitTargets: the validation split sampled to fitCases, topped up with held-out cases', () => {
  const users = new Map<string, StoredEvent[]>();
  for (let u = 0; u < 30; u++) users.set(`u${u}`, [ev(`u${u}`, `f${u}`), ev(`u${u}`, `k${u}`)]);
  const validOf = (n: number) => Array.from({ length: n }, (_, u) => ev(`u${u}`, `f${100 + u}`));
  const opts = { heldOutCases: 100, seed: 2, positive, allowsRepeats: () => false, orderFree: false };

  it('tops a small split up to fitCases, never from a user with a validation target', () => {
    const t = fitTargets(validOf(5), users, { ...opts, fitCases: 12 });
    assert.equal(t.valid.length, 5);
    assert.equal(t.held.targets.length, 7);
    for (const e of t.valid) assert.ok(!t.held.targets.some((h) => h.user === e.user));
  });

  it('a split as large as fitCases is sampled and fits alone; heldOutCases caps the top-up', () => {
    const t = fitTargets(validOf(20), users, { ...opts, fitCases: 8 });
    assert.equal(t.valid.length, 8);
    // the rest of the split is spare: cases the ranker never sees, none of them sampled
    assert.equal(t.spare.length, 12);
    assert.deepEqual(
      [...t.valid, ...t.spare].map((e) => e.user).sort(),
      validOf(20)
        .map((e) => e.user)
        .sort(),
    );
    assert.ok(!t.spare.some((e) => t.valid.includes(e)));
    assert.equal(fitTargets(validOf(5), users, { ...opts, fitCases: 12 }).spare.length, 0);
    // the same sample whatever order the store returned the split in
    const again = fitTargets(validOf(20).reverse(), users, { ...opts, fitCases: 8 });
    assert.deepEqual(again.valid.map((e) => e.user).sort(), t.valid.map((e) => e.user).sort());
    assert.equal(t.held.targets.length, 0);
    assert.equal(
      fitTargets(validOf(2), users, { ...opts, fitCases: 20, heldOutCases: 3 }).held.targets.length,
      3,
    );
  });
});

describe('contextWithout', () => {
  it('drops one observation per held-out event (same item and keys), and nothing else', () => {
    const index = new Map([
      ['f1', 0],
      ['k1', 1],
    ]);
    const withCtx = (item: string, device: string, type = 'purchase') => ({
      ...ev('u', item, type),
      ts: Date.UTC(2026, 0, 5, 9),
      context: { device },
    });
    const a = withCtx('f1', 'mobile');
    const b = withCtx('f1', 'mobile');
    const c = withCtx('k1', 'tv');
    const all = [a, b, c].map((e) => contextObservationOf(e, index.get(e.item)!)!);
    // a skip or an event without device and location observes nothing
    assert.equal(contextObservationOf(withCtx('f1', 'mobile', 'skip'), 0), undefined);
    assert.equal(contextObservationOf(ev('u', 'f1'), 0), undefined);
    const left = contextWithout(all, [a], index);
    assert.equal(left.length, 2);
    assert.deepEqual(
      left.map((o) => o.item),
      [0, 1],
    );
    assert.equal(contextWithout(all, [a, b, c], index).length, 0);
    assert.equal(contextWithout(all, [], index).length, 3);
  });
});
