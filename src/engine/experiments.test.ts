import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from '../core/rng.ts';
import { difference, ExperimentTally, wilson } from './experiment-stats.ts';
import { type Experiment, Experiments, parseExperiment, teamDraft, variantOf } from './experiments.ts';

const ab = (shares: number[]) => ({
  id: 'x',
  scenario: 'shop',
  kind: 'ab',
  variants: shares.map((share, i) => ({ name: `v${i}`, share })),
});

describe('experiments', () => {
  test('A/B shares must sum to 1; names unique; interleaving takes two variants', () => {
    assert.equal(parseExperiment(ab([0.2, 0.3, 0.5])).variants.length, 3);
    assert.throws(() => parseExperiment(ab([0.5, 0.6])), { code: 'INVALID_INPUT', field: 'variants' });
    assert.throws(() => parseExperiment(ab([0.5, 0.4])), { code: 'INVALID_INPUT', field: 'variants' });
    assert.throws(
      () => parseExperiment({ ...ab([0.5, 0.5]), variants: [{ name: 'a', share: 0.5 }, { name: 'b' }] }),
      {
        field: 'variants[1].share',
      },
    );
    assert.throws(
      () =>
        parseExperiment({
          ...ab([0.5, 0.5]),
          variants: [
            { name: 'a', share: 0.5 },
            { name: 'a', share: 0.5 },
          ],
        }),
      {
        field: 'variants[1].name',
      },
    );
    const three = {
      id: 'i',
      scenario: 's',
      kind: 'interleave',
      variants: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    };
    assert.throws(() => parseExperiment(three), { field: 'variants' });
    assert.throws(
      () => parseExperiment({ ...three, variants: [{ name: 'a', retrievers: ['nope'] }, { name: 'b' }] }),
      {
        field: 'variants[0].retrievers[0]',
      },
    );
  });

  test('users split by the configured shares, each user always in the same variant', () => {
    const e = parseExperiment(ab([0.2, 0.8]));
    const counts = [0, 0];
    for (let u = 0; u < 20_000; u++) {
      const v = variantOf(e, `user-${u}`);
      assert.equal(variantOf(e, `user-${u}`).name, v.name);
      counts[v.name === 'v0' ? 0 : 1]!++;
    }
    // 20,000 draws at p = 0.2: the standard deviation is 57
    assert.ok(Math.abs(counts[0]! - 4000) < 300, String(counts));
  });

  test('team draft: no duplicates, every item from one of the lists, teams differ by at most one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer(),
        (a0, b0, n, seed) => {
          const a = [...new Set(a0)];
          const b = [...new Set(b0)];
          const out = teamDraft(a, b, n, seededRandom(seed));
          const items = out.map((x) => x.item);
          assert.equal(new Set(items).size, items.length);
          assert.equal(items.length, Math.min(n, new Set([...a, ...b]).size));
          for (const x of out) assert.ok((x.team === 0 ? a : b).includes(x.item));
          // while both lists have items left, the teams stay balanced
          const union = new Set([...a, ...b]).size;
          if (out.length === n && a.length >= n && b.length >= n && union >= n) {
            const t0 = out.filter((x) => x.team === 0).length;
            assert.ok(Math.abs(2 * t0 - out.length) <= 1);
          }
          // each team's picks keep their own list's order
          for (const [t, list] of [
            [0, a],
            [1, b],
          ] as const) {
            const mine = out.filter((x) => x.team === t).map((x) => list.indexOf(x.item));
            assert.deepEqual(
              mine,
              [...mine].sort((x, y) => x - y),
            );
          }
        },
      ),
    );
  });

  test('intervals: Wilson contains the rate; a difference gets a verdict only when its interval excludes 0', () => {
    const w = wilson(30, 100);
    assert.ok(w.low < 0.3 && 0.3 < w.high && w.low > 0.2 && w.high < 0.4);
    assert.deepEqual(wilson(0, 0), { rate: 0, low: 0, high: 1 });
    assert.equal(difference(60, 100, 30, 100).verdict, 'better');
    assert.equal(difference(30, 100, 60, 100).verdict, 'worse');
    assert.equal(difference(33, 100, 30, 100).verdict, 'inconclusive');
    // one list each, clicked and not: no evidence yet
    assert.equal(difference(1, 1, 0, 1).verdict, 'inconclusive');
    assert.equal(difference(0, 0, 5, 10).verdict, 'inconclusive');
  });

  test('the tally credits interleaved clicks to the team of the clicked item', () => {
    const e: Experiment = {
      id: 'i',
      scenario: 's',
      kind: 'interleave',
      variants: [
        { name: 'a', ranking: 'model' },
        { name: 'b', ranking: 'model' },
      ],
      status: 'running',
      createdAt: 0,
    };
    const t = new ExperimentTally(e, { click: new Set(['click']), conversion: new Set() });
    const imp = (id: string) => ({
      id,
      user: 'u',
      scenario: 's',
      ts: 0,
      modelVersion: 'm',
      items: [
        { item: 'x', position: 0, score: 1, team: 'a' },
        { item: 'y', position: 1, score: 1, team: 'b' },
        { item: 'z', position: 2, score: 1, team: 'b' },
      ],
    });
    const at = (event: string, impression: string, item: string, type = 'click') => ({
      event,
      impression,
      user: 'u',
      item,
      type,
      ts: 0,
    });
    t.add(
      [imp('1'), imp('2'), imp('3'), imp('4')],
      [
        at('e1', '1', 'x'),
        at('e2', '2', 'y'),
        at('e3', '2', 'z'),
        at('e4', '3', 'x'),
        at('e5', '3', 'y'),
        at('e6', '4', 'x', 'view'),
      ],
    );
    const r = t.result();
    assert.deepEqual(r.interleaving!.wins, { a: 1, b: 1 });
    assert.equal(r.interleaving!.ties, 1);
    assert.equal(r.interleaving!.impressions, 4);
  });

  test('A/B clicks per list: distinct clicked items, their mean and the difference against the control', () => {
    const e: Experiment = { ...parseExperiment(ab([0.5, 0.5])), status: 'running', createdAt: 0 };
    const t = new ExperimentTally(e, { click: new Set(['click']), conversion: new Set() });
    const imp = (id: string, variant: string) => ({
      id,
      user: `u${id}`,
      scenario: 'shop',
      ts: 0,
      modelVersion: 'm',
      variant,
      items: ['x', 'y', 'z'].map((item, position) => ({ item, position, score: 1 })),
    });
    const click = (impression: string, item: string, n: number) => ({
      event: `${impression}-${item}-${n}`,
      impression,
      user: `u${impression}`,
      item,
      type: 'click',
      ts: 0,
    });
    // control: lists with 1, 1, 0, 0 clicks; treatment: 3, 2, 2, 1 (a repeated click on x counts once)
    t.add(
      ['1', '2', '3', '4'].map((id) => imp(id, 'v0')).concat(['5', '6', '7', '8'].map((id) => imp(id, 'v1'))),
      [
        click('1', 'x', 1),
        click('2', 'y', 1),
        click('5', 'x', 1),
        click('5', 'y', 1),
        click('5', 'z', 1),
        click('6', 'x', 1),
        click('6', 'x', 2),
        click('6', 'y', 1),
        click('7', 'y', 1),
        click('7', 'z', 1),
        click('8', 'z', 1),
      ],
    );
    const [c, v] = t.result().variants;
    assert.equal(c!.clicksPerList.mean, 0.5);
    assert.equal(v!.clicksPerList.mean, 2);
    assert.ok(v!.clicksPerList.low < 2 && v!.clicksPerList.high > 2);
    assert.equal(v!.vsControl!.clicksPerList.diff, 1.5);
    // variances 1/3 and 2/3 over 4 lists each: half-width 1.96 * sqrt(0.25) = 0.98
    assert.ok(Math.abs(v!.vsControl!.clicksPerList.low - (1.5 - 1.959963984540054 * 0.5)) < 1e-9);
    assert.equal(v!.vsControl!.clicksPerList.verdict, 'better');
    // click-through cannot tell them apart this well: every treatment list and half the control's were clicked
    assert.equal(v!.vsControl!.clickThrough.verdict, 'inconclusive');
  });

  test('a store that cannot be read keeps the last known experiments; recommendations go on', async () => {
    let meta: string | undefined;
    let down = false;
    let t = 0;
    const store = {
      async getMeta() {
        if (down) throw new Error('connection refused');
        return meta;
      },
      async setMeta(_k: string, v: string) {
        meta = v;
      },
    };
    const x = new Experiments(store, () => t);
    await x.create(ab([0.5, 0.5]));
    t += 10_000;
    down = true;
    assert.equal((await x.runningIn('shop'))?.id, 'x');
    assert.equal(await x.runningIn('music'), undefined);
    await assert.rejects(x.list());
  });
});
