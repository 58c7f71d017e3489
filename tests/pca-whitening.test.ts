import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { seededRandom } from '../src/core/rng.ts';
import { fitWhitening } from '../src/seq/whiten.ts';

// The sequential model's text whitening, hashed bit for bit as it was before it moved onto the one
// PCA solver (src/core/pca.ts): a trained model depends on these bits, so the move must keep them.
test('the text whitening is bit-identical to the one before the shared PCA solver', () => {
  const rnd = seededRandom(11);
  const n = 400;
  const dim = 48;
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (i % 9 === 4) continue; // items without text stay zero rows
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      const x = (rnd() - 0.5) * (1 + (k % 5));
      data[i * dim + k] = x;
      norm += x * x;
    }
    for (let k = 0; k < dim; k++) data[i * dim + k]! /= Math.sqrt(norm);
  }
  const w = fitWhitening(data, dim, 12, 5);
  assert.equal(w.outDim, 12);
  const hash = createHash('sha256')
    .update(Buffer.from(w.mean.buffer))
    .update(Buffer.from(w.basis.buffer))
    .update(Buffer.from(w.inv.buffer))
    .digest('hex');
  assert.equal(hash, '7621d03284b4f60ed6d40baae8c3d537f093276e385c43c03742210303a4c266');
});
