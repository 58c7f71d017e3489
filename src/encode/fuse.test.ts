import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_FUSION } from '../config/fusion.ts';
import { itemSchema } from '../core/types.ts';
import { dot, l2normalise, planBatches } from './batch.ts';
import { charNgramVector, fuseItemVector, project } from './fuse.ts';

const unit = (dim: number, seed: number) =>
  l2normalise(Float32Array.from({ length: dim }, (_, i) => Math.sin(seed * 7.31 + i * 1.7)));

describe('fusion', () => {
  test('random projections are fixed across calls and keep angles roughly', () => {
    const a = Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const b = a.map((x, i) => x + 0.3 * Math.cos(5 * i));
    const c = Array.from({ length: 64 }, (_, i) => Math.cos(3 * i + 1));
    assert.deepEqual(project('image', a, 256), project('image', a, 256));
    assert.notDeepEqual(project('image', a, 256), project('audio', a, 256), 'one projection per modality');
    const cos = (x: number[], y: number[]) =>
      dot(l2normalise(Float32Array.from(x)), l2normalise(Float32Array.from(y)));
    const pa = project('image', a, 256);
    assert.ok(Math.abs(dot(pa, project('image', b, 256)) - cos(a, b)) < 0.15);
    assert.ok(Math.abs(dot(pa, project('image', c, 256)) - cos(a, c)) < 0.15);
  });

  test('character n-grams tell unrelated Chinese titles apart and join related ones', () => {
    const noodles = charNgramVector('红烧牛肉面', 512);
    const noodles2 = charNgramVector('牛肉面 五包装', 512);
    const knives = charNgramVector('不锈钢厨房刀具套装', 512);
    assert.ok(Math.abs(dot(noodles, noodles) - 1) < 1e-5);
    assert.ok(dot(noodles, knives) < 0.2);
    assert.ok(dot(noodles, noodles2) > 0.4);
  });

  test('the n-gram channel is used only below minCoverage, and fused vectors are unit length', () => {
    const item = itemSchema.parse({ id: 'x', scenario: 's', title: '红烧牛肉面' });
    const text = unit(512, 1);
    const readable = fuseItemVector({ text, coverage: 1, item });
    assert.deepEqual(readable, text);
    const unreadable = fuseItemVector({ text, coverage: 0.1, item });
    assert.ok(Math.abs(dot(unreadable, unreadable) - 1) < 1e-5);
    assert.ok(dot(unreadable, text) < 0.5);
    const withVectors = fuseItemVector(
      { text, coverage: 1, item: { ...item, image: { vector: [1, 2, 3] }, audio: { vector: [3, 1] } } },
      { ...DEFAULT_FUSION, image: 1, audio: 1 },
    );
    assert.ok(Math.abs(dot(withVectors, withVectors) - 1) < 1e-5);
    assert.ok(dot(withVectors, text) < 0.9);
  });
});

describe('planBatches', () => {
  test('every index once, within the limits, shortest first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 4096 }),
        (lengths, maxBatch, maxTokens) => {
          const batches = planBatches(lengths, { maxBatch, maxTokens });
          const flat = batches.flat();
          assert.deepEqual(
            [...flat].sort((a, b) => a - b),
            lengths.map((_, i) => i),
          );
          for (const b of batches) {
            assert.ok(b.length >= 1 && b.length <= maxBatch);
            const longest = Math.max(1, ...b.map((i) => lengths[i]!));
            // a single over-long text still gets its own batch
            assert.ok(b.length === 1 || b.length * longest <= maxTokens);
          }
          for (let i = 1; i < flat.length; i++) assert.ok(lengths[flat[i - 1]!]! <= lengths[flat[i]!]!);
        },
      ),
    );
  });
});
