/**
 * The contract every Encoder passes. Providers call `encoderContract(name, get)` from their own
 * test file; `get` returns an open encoder (models are expensive: one per test file).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dot } from './batch.ts';
import type { Encoder } from './types.ts';

const TEXTS = [
  'rock guitar album',
  'electric guitar strings',
  'kitchen knife set',
  'Lavazza ground coffee, pack of 4',
  'A long description of a stainless steel pocket dial thermometer with a five inch stem and a wide range',
];

function assertUnit(v: Float32Array, dim: number, what: string): void {
  assert.ok(v instanceof Float32Array, `${what}: a Float32Array`);
  assert.equal(v.length, dim, `${what}: ${dim} dimensions`);
  assert.ok(v.every(Number.isFinite), `${what}: finite`);
  assert.ok(Math.abs(dot(v, v) - 1) < 1e-4, `${what}: unit length`);
}

const close = (a: Float32Array, b: Float32Array, tol: number) =>
  a.every((x, i) => Math.abs(x - b[i]!) <= tol);

export function encoderContract(
  name: string,
  get: () => Encoder | Promise<Encoder>,
  opts: { tolerance?: number } = {},
): void {
  const tol = opts.tolerance ?? 1e-4;
  describe(`Encoder contract: ${name}`, () => {
    it('has a non-empty id and a positive dimension', async () => {
      const e = await get();
      assert.ok(typeof e.id === 'string' && e.id.length > 0);
      assert.ok(Number.isInteger(e.dim) && e.dim > 0);
    });

    it('returns one unit vector per text, in order', async () => {
      const e = await get();
      assert.deepEqual(await e.encode([]), []);
      const fwd = await e.encode(TEXTS);
      assert.equal(fwd.length, TEXTS.length);
      fwd.forEach((v, i) => {
        assertUnit(v, e.dim, `text ${i}`);
      });
      const rev = await e.encode([...TEXTS].reverse());
      fwd.forEach((v, i) => {
        assert.ok(close(v, rev[TEXTS.length - 1 - i]!, tol), `text ${i} keeps its vector in another order`);
      });
      assert.ok(!close(fwd[0]!, fwd[2]!, 1e-3), 'different texts, different vectors');
    });

    it('duplicates give equal but independent arrays; empty and blank texts still give unit vectors', async () => {
      const e = await get();
      const [a, b, empty, blank] = await e.encode(['same text', 'same text', '', '   ']);
      assert.ok(close(a!, b!, tol));
      a![0] = 42;
      assert.notEqual(b![0], 42, 'each result owns its memory');
      assertUnit(empty!, e.dim, 'empty text');
      assertUnit(blank!, e.dim, 'blank text');
    });

    it('results do not depend on how texts are batched', async () => {
      const e = await get();
      const many = Array.from({ length: 37 }, (_, i) => `${TEXTS[i % TEXTS.length]} ${i}`);
      const together = await e.encode(many);
      const alone = await Promise.all(
        [many[0]!, many[17]!, many[36]!].map(async (t) => (await e.encode([t]))[0]!),
      );
      assert.ok(close(together[0]!, alone[0]!, tol));
      assert.ok(close(together[17]!, alone[1]!, tol));
      assert.ok(close(together[36]!, alone[2]!, tol));
    });
  });
}
