/**
 * One training step of a model shaped like src/seq (batch 256, 20 history items, d 64, 128-d text
 * features of 2,700 items, 256 shared negatives) in @tensorflow/tfjs autodiff, to compare with the
 * hand-written gradients of src/seq:  node --import tsx bench/tfjs-seq-step.ts [wasm|cpu]
 * Prints ms per step; asserts nothing.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

await tf.setBackend(process.argv[2] ?? 'wasm');
const B = 256;
const L = 20;
const d = 64;
const T = 128;
const K = 256;
const U = 2700;
const X = tf.randomNormal([U, T]);
const Wt = tf.variable(tf.randomNormal([T, d], 0, 0.05));
const attn = tf.variable(tf.zeros([d]));
const Wo = tf.variable(tf.eye(d));
const histIdx = tf.tensor2d(
  Array.from({ length: B * L }, (_, i) => i % U),
  [B, L],
  'int32',
);
const negIdx = tf.tensor1d(
  Array.from({ length: K }, (_, i) => (i * 7) % U),
  'int32',
);
const tgtIdx = tf.tensor1d(
  Array.from({ length: B }, (_, i) => (i * 13) % U),
  'int32',
);
const opt = tf.train.adam(0.002);
const step = () =>
  opt.minimize(() => {
    const H = tf.matMul(X, Wt);
    const x = tf.gather(H, histIdx);
    const last = x.slice([0, L - 1, 0], [B, 1, d]);
    const a = tf.sum(tf.mul(tf.mul(x, last), attn), 2);
    const al = tf.softmax(a);
    const u = tf.sum(tf.mul(x, al.expandDims(2)), 1);
    const z = tf.matMul(u, Wo);
    const pos = tf.sum(tf.mul(z, tf.gather(H, tgtIdx)), 1, true);
    const neg = tf.matMul(z, tf.gather(H, negIdx), false, true);
    const logits = tf.concat([pos, neg], 1);
    return tf.mean(tf.sub(tf.logSumExp(logits, 1), pos.squeeze([1])));
  }, true);
step()?.dispose();
const t0 = performance.now();
for (let i = 0; i < 3; i++) step()?.dispose();
console.log(
  `${tf.getBackend()}: ${((performance.now() - t0) / 3).toFixed(1)} ms per batch (B ${B}, L ${L}, d ${d}, text ${T}, ${K} negatives, ${U} items)`,
);
