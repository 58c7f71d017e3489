/**
 * The ONNX provider through the real transformers.js + onnxruntime-node code path, on a model
 * folder this test writes itself: an ONNX graph (embedding table lookup, masked), a WordLevel
 * tokenizer.json and a BERT config. Mean pooling and normalisation are transformers.js's own.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { dot } from './batch.ts';
import { encoderContract } from './contract.ts';
import { createOnnxEncoder } from './onnx.ts';
import type { Encoder } from './types.ts';

// --- a minimal protobuf writer, enough for ONNX's ModelProto -------------------------------------
type Bytes = number[];
const varint = (n: number): Bytes => {
  const out: Bytes = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
};
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number): Bytes => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: Bytes | Uint8Array): Bytes => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...new TextEncoder().encode(s)]);
const FLOAT = 1;
const INT64 = 7;

const dimProto = (d: number | string) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d));
const valueInfo = (name: string, elem: number, dims: (number | string)[]) => [
  ...str(1, name),
  ...bytes(2, bytes(1, [...int(1, elem), ...bytes(2, dims.flatMap(dimProto))])),
];
const node = (op: string, inputs: string[], outputs: string[], attrs: Bytes[] = []) => [
  ...inputs.flatMap((i) => str(1, i)),
  ...outputs.flatMap((o) => str(2, o)),
  ...str(3, `${op}_${outputs[0]}`),
  ...str(4, op),
  ...attrs.flatMap((a) => bytes(5, a)),
];
const intAttr = (name: string, v: number) => [...str(1, name), ...int(3, v), ...int(20, 2)];
const tensor = (name: string, dims: number[], type: number, data: Float32Array | BigInt64Array) => [
  ...dims.flatMap((d) => int(1, d)),
  ...int(2, type),
  ...str(8, name),
  ...bytes(9, new Uint8Array(data.buffer)),
];

/** input_ids, attention_mask -> last_hidden_state = Embedding[input_ids] * mask */
function tinyModel(table: Float32Array, vocab: number, dim: number): Uint8Array {
  const graph = [
    ...bytes(1, node('Gather', ['embeddings', 'input_ids'], ['gathered'])),
    ...bytes(1, node('Cast', ['attention_mask'], ['mask_f'], [intAttr('to', FLOAT)])),
    ...bytes(1, node('Unsqueeze', ['mask_f', 'axes'], ['mask_3d'])),
    ...bytes(1, node('Mul', ['gathered', 'mask_3d'], ['last_hidden_state'])),
    ...str(2, 'tiny'),
    ...bytes(5, tensor('embeddings', [vocab, dim], FLOAT, table)),
    ...bytes(5, tensor('axes', [1], INT64, BigInt64Array.from([2n]))),
    ...bytes(11, valueInfo('input_ids', INT64, ['batch', 'seq'])),
    ...bytes(11, valueInfo('attention_mask', INT64, ['batch', 'seq'])),
    ...bytes(12, valueInfo('last_hidden_state', FLOAT, ['batch', 'seq', dim])),
  ];
  const model = [...int(1, 8), ...str(2, 'fusionrec-test'), ...bytes(7, graph), ...bytes(8, int(2, 13))];
  return Uint8Array.from(model);
}

// --- the model folder -------------------------------------------------------------------------------
const WORDS = ['[PAD]', '[UNK]', 'rock', 'guitar', 'album', 'electric', 'strings', 'kitchen', 'knife', 'set'];
const DIM = 4;
/** two topics: music words lean on axes 0-1, kitchen words on axes 2-3 */
const ROWS: Record<string, number[]> = {
  '[PAD]': [0, 0, 0, 0],
  '[UNK]': [0.1, 0.1, 0.1, 0.1],
  rock: [1, 0.2, 0, 0],
  guitar: [0.9, 0.5, 0, 0.1],
  album: [1, 0, 0.1, 0],
  electric: [0.6, 0.6, 0.2, 0],
  strings: [0.8, 0.4, 0, 0.2],
  kitchen: [0, 0.1, 1, 0.3],
  knife: [0.1, 0, 0.9, 0.5],
  set: [0.2, 0.1, 0.5, 0.5],
};

const root = mkdtempSync(join(tmpdir(), 'fusionrec-onnx-'));
after(() => rmSync(root, { recursive: true, force: true }));

function writeModelFolder(): string {
  const dir = join(root, 'tiny-sentence-model');
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const table = new Float32Array(WORDS.flatMap((w) => ROWS[w]!));
  writeFileSync(join(dir, 'onnx', 'model.onnx'), tinyModel(table, WORDS.length, DIM));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'bert',
      architectures: ['BertModel'],
      hidden_size: DIM,
      vocab_size: WORDS.length,
    }),
  );
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(0, '[PAD]'), special(1, '[UNK]')],
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: {
        type: 'WordLevel',
        vocab: Object.fromEntries(WORDS.map((w, i) => [w, i])),
        unk_token: '[UNK]',
      },
    }),
  );
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'PreTrainedTokenizer',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      model_max_length: 64,
      do_lower_case: true,
    }),
  );
  return dir;
}

let shared: Promise<Encoder> | undefined;
after(async () => {
  await (await shared)?.close();
});
encoderContract('onnx (tiny model folder)', () => {
  shared ??= createOnnxEncoder({ modelPath: writeModelFolder(), batchSize: 4 });
  return shared;
});

describe('ONNX sentence-transformer provider', () => {
  test('encodes through transformers.js with mean pooling, offline', async () => {
    const enc = await createOnnxEncoder({ modelPath: writeModelFolder(), batchSize: 2 });
    try {
      assert.equal(enc.dim, DIM);
      assert.match(enc.id, /^onnx:tiny-sentence-model@[0-9a-f]{12}$/);
      const [album, strings, knives, again] = await enc.encode([
        'rock guitar album',
        'electric guitar strings',
        'Kitchen knife set',
        'rock guitar album',
      ]);
      for (const v of [album!, strings!, knives!]) assert.ok(Math.abs(dot(v, v) - 1) < 1e-5);
      assert.ok(dot(album!, strings!) > dot(album!, knives!));
      assert.deepEqual(again, album);
      // the mean over the three words, by hand, normalised: pooling and masking are right even
      // when the batch pads this text next to a longer one
      const mean = [0, 1, 2, 3].map((d) => (ROWS.rock![d]! + ROWS.guitar![d]! + ROWS.album![d]!) / 3);
      const n = Math.hypot(...mean);
      for (const [d, x] of mean.entries()) assert.ok(Math.abs(album![d]! - x / n) < 1e-5);
      const [padded] = await enc.encode([
        'rock guitar album',
        'rock guitar album electric electric kitchen set',
      ]);
      for (const [d, x] of mean.entries()) assert.ok(Math.abs(padded![d]! - x / n) < 1e-5);
    } finally {
      await enc.close();
    }
  });

  test('a folder without an ONNX export is a configuration error naming the field', async () => {
    await assert.rejects(createOnnxEncoder({ modelPath: join(root, 'missing') }), {
      code: 'INVALID_CONFIG',
      field: 'encoder.modelPath',
    });
  });
});
