import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEase, invertSpd } from './ease.ts';
import { edgeWeight } from './graph.ts';

describe('EASE item model', () => {
  it('inverts a symmetric positive definite matrix', () => {
    const a = [4, 1, 2, 1, 3, 0.5, 2, 0.5, 5];
    const inv = Float64Array.from(a);
    invertSpd(inv, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k]! * inv[k * 3 + j]!;
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9, `(${i},${j}) = ${s}`);
      }
  });

  // a known answer: 0 and 1 are always taken together, so are 2 and 3; 4 is taken by everyone
  // (it co-occurs with 0 as often as 1 does, but explains nothing); 5 is taken once
  const seqs = [
    [0, 1, 4],
    [1, 0, 4],
    [0, 1, 4],
    [2, 3, 4],
    [3, 2, 4],
    [2, 3, 4],
    [0, 1, 5],
  ];

  it('ranks the true partner above the item everyone takes', () => {
    const g = buildEase(seqs, 6, { items: 10, lambda: 0.5, neighbours: 10 });
    assert.ok(edgeWeight(g, 0, 1) > edgeWeight(g, 0, 4), `${edgeWeight(g, 0, 1)} vs ${edgeWeight(g, 0, 4)}`);
    assert.ok(edgeWeight(g, 2, 3) > edgeWeight(g, 2, 4));
    assert.equal(g.items[g.offsets[0]!], 1);
    // an item with a single user is outside the model: no row, no column
    assert.equal(g.offsets[6]! - g.offsets[5]!, 0);
    for (let i = 0; i < 5; i++) assert.equal(edgeWeight(g, i, 5), 0);
  });

  it('covers only the most frequent items, and nothing when switched off', () => {
    const g = buildEase(seqs, 6, { items: 3, lambda: 0.5, neighbours: 10 });
    // 4 (7 users), then 0 and 1 (4 each): rows of 2 and 3 are empty
    assert.equal(g.offsets[4]! - g.offsets[2]!, 0);
    assert.ok(edgeWeight(g, 0, 1) > 0);
    const off = buildEase(seqs, 6, { items: 0, lambda: 0.5, neighbours: 10 });
    assert.equal(off.items.length, 0);
    assert.equal(off.offsets.length, 7);
  });

  it('without cross-scenario fusion, pairs across scenarios get no weight', () => {
    const g = buildEase(seqs, 6, {
      items: 10,
      lambda: 0.5,
      neighbours: 10,
      scenarioOf: (i) => (i === 1 ? 'b' : 'a'),
    });
    assert.equal(edgeWeight(g, 0, 1), 0);
    assert.ok(edgeWeight(g, 2, 3) > 0);
  });
});
