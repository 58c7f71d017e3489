import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAttrGraph } from './attr.ts';
import { appendRows, buildAttrCross } from './attr-cross.ts';

const row = (g: { offsets: Int32Array; items: Int32Array; weights: Float32Array }, a: number) =>
  Array.from(g.items.subarray(g.offsets[a]!, g.offsets[a + 1]!));
const weightsOf = (g: { offsets: Int32Array; items: Int32Array; weights: Float32Array }, a: number) =>
  Array.from(g.weights.subarray(g.offsets[a]!, g.offsets[a + 1]!));

// food 0-2, kitchen 3-5
const tokens = [
  ['word:chocolate', 'word:chips'],
  ['word:chocolate', 'word:bar'],
  ['word:tea', 'word:green'],
  ['word:chocolate', 'word:fountain'],
  ['word:tea', 'word:pot'],
  ['word:bar', 'word:stool'],
];
const scenario = ['food', 'food', 'food', 'kitchen', 'kitchen', 'kitchen'];
const engagement = [5, 4, 3, 2, 1, 1];

describe('attribute links across scenarios', () => {
  it("links each item to the other scenarios' items it shares tokens with, never to its own scenario", () => {
    const g = buildAttrCross(tokens, scenario, engagement, { neighbours: 10, postings: 100 })!;
    for (let a = 0; a < tokens.length; a++)
      for (const b of row(g, a)) assert.notEqual(scenario[b], scenario[a], `${a} -> ${b}`);
    assert.deepEqual(row(g, 0), [3]);
    assert.deepEqual(row(g, 2), [4]);
    assert.deepEqual(row(g, 4), [2]);
    // chocolate (3 items) and bar (2 items): item 1 shares each with one kitchen item, bar the rarer
    assert.deepEqual(row(g, 1), [5, 3]);
    assert.deepEqual(row(g, 3).sort(), [0, 1]);
  });

  it('weighs a pair by the IDF-weighted cosine over the whole catalogue (symmetric)', () => {
    const g = buildAttrCross(tokens, scenario, engagement, { neighbours: 10, postings: 100 })!;
    const n = tokens.length;
    const idf = (df: number) => Math.log((n + 1) / (df + 1));
    // item 0: chocolate (df 3); chips is held by one item and dropped: its row is chocolate alone
    // item 3: chocolate (df 3); fountain dropped: chocolate alone. cosine 1
    assert.ok(Math.abs(weightsOf(g, 0)[0]! - 1) < 1e-6);
    // item 1: chocolate (3), bar (2); item 5: bar alone (stool held once)
    const w1 = [idf(3), idf(2)];
    const cos15 = w1[1]! / Math.hypot(...w1);
    assert.ok(Math.abs(weightsOf(g, 1)[0]! - cos15) < 1e-6);
    assert.ok(Math.abs(weightsOf(g, 5)[0]! - cos15) < 1e-6, 'the same pair from the other side');
  });

  it('keeps the most similar links, then the more engaged', () => {
    const g = buildAttrCross(tokens, scenario, engagement, { neighbours: 1, postings: 100 })!;
    assert.deepEqual(row(g, 1), [5]);
    // 0's row is chocolate alone (cosine 1 with 3's), 1's shares its weight with bar
    assert.deepEqual(row(g, 3), [0]);
  });

  it('builds nothing with one scenario or no token held in two scenarios', () => {
    assert.equal(
      buildAttrCross(
        tokens,
        scenario.map(() => 'food'),
        engagement,
        { neighbours: 5, postings: 100 },
      ),
      undefined,
    );
    const apart = [['word:a'], ['word:a'], ['word:b'], ['word:b']];
    assert.equal(
      buildAttrCross(apart, ['x', 'x', 'y', 'y'], [1, 1, 1, 1], { neighbours: 5, postings: 100 }),
      undefined,
    );
    assert.equal(buildAttrCross(tokens, scenario, engagement, { neighbours: 0, postings: 100 }), undefined);
  });

  it("appends an item's links after its row within its scenario", () => {
    const within = buildAttrGraph(tokens, scenario, engagement, { neighbours: 10, postings: 100 })!;
    const across = buildAttrCross(tokens, scenario, engagement, { neighbours: 10, postings: 100 })!;
    const both = appendRows(within, across, tokens.length)!;
    for (let a = 0; a < tokens.length; a++) {
      assert.deepEqual(row(both, a), [...row(within, a), ...row(across, a)]);
      assert.deepEqual(weightsOf(both, a), [...weightsOf(within, a), ...weightsOf(across, a)]);
    }
    assert.equal(appendRows(within, undefined, tokens.length), within);
    assert.equal(appendRows(undefined, across, tokens.length), across);
  });
});
