/**
 * The contract every derived store passes: `derivedStoreContract(name, open)` from the backend's
 * own test file, where `open` returns a fresh, empty store.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import { type ContractOptions, defineCases } from '../suite.ts';
import { dropMatrices, loadMatrix, readRows, restamp, saveMatrix, withStamp } from './matrix.ts';
import type { DerivedStore } from './types.ts';

const bytes = (...b: number[]) => new Uint8Array(b);

export function derivedStoreContract(
  name: string,
  open: () => Promise<DerivedStore>,
  opts: ContractOptions = {},
): void {
  describe(`DerivedStore contract: ${name}`, () => {
    defineCases(open, opts, (test) => {
      test('stores blobs by namespace and key, byte for byte', async (s) => {
        await s.blobs.put('vec', [{ key: 'k', value: new Uint8Array(new Float32Array([1.5, -2]).buffer) }]);
        const got = await s.blobs.get('vec', 'k');
        assert.deepEqual([...new Float32Array(got!.slice().buffer)], [1.5, -2]);
        // a view into a larger buffer stores only its own bytes
        const big = bytes(9, 1, 2, 3, 9);
        await s.blobs.put('vec', [{ key: 'view', value: big.subarray(1, 4) }]);
        assert.deepEqual([...(await s.blobs.get('vec', 'view'))!], [1, 2, 3]);
        assert.equal(await s.blobs.get('vec', 'none'), undefined);
        assert.equal(await s.blobs.get('other', 'k'), undefined);
      });

      test('reads values of many megabytes whole, alone and among small, empty and missing ones', async (s) => {
        // sizes around the parts a backend may read a large value in (4 MB on PostgreSQL)
        const big = new Uint8Array(randomBytes(9 * 1024 * 1024 + 1));
        const edge = new Uint8Array(randomBytes(4 * 1024 * 1024));
        await s.blobs.put('model', [
          { key: 'big', value: big },
          { key: 'edge', value: edge },
          { key: 'small', value: bytes(0, 255, 128) },
          { key: 'empty', value: new Uint8Array(0) },
        ]);
        assert.deepEqual(await s.blobs.get('model', 'big'), big);
        const many = await s.blobs.getMany('model', ['empty', 'big', 'none', 'small', 'edge']);
        assert.deepEqual([...many.keys()].sort(), ['big', 'edge', 'empty', 'small']);
        assert.deepEqual(many.get('big'), big);
        assert.deepEqual(many.get('edge'), edge);
        assert.deepEqual([...many.get('small')!], [0, 255, 128]);
        assert.equal(many.get('empty')?.length, 0);
      });

      test('a large value read while a writer replaces it is one version whole, never a mix', async (s) => {
        const versions = [0, 1].map(() => new Uint8Array(randomBytes(9 * 1024 * 1024)));
        await s.blobs.put('model', [{ key: 'v', value: versions[0]! }]);
        let writing = true;
        const writer = (async () => {
          for (let k = 1; k <= 6; k++) await s.blobs.put('model', [{ key: 'v', value: versions[k % 2]! }]);
          writing = false;
        })();
        let reads = 0;
        while (writing || reads === 0) {
          const got = Buffer.from((await s.blobs.get('model', 'v'))!);
          assert.ok(
            versions.some((v) => got.equals(v)),
            'a read mixed two versions',
          );
          reads++;
        }
        await writer;
      });

      test('reads many keys at once, replaces on put, deletes, lists keys in order', async (s) => {
        const keys = Array.from({ length: 1203 }, (_, i) => `k${i}`);
        await s.blobs.put(
          'ns',
          keys.map((key, i) => ({ key, value: bytes(i % 256) })),
        );
        await s.blobs.put('other', [{ key: 'k1', value: bytes(7) }]);
        const many = await s.blobs.getMany('ns', [...keys, 'none']);
        assert.equal(many.size, 1203);
        assert.deepEqual([...many.get('k1000')!], [1000 % 256]);
        await s.blobs.put('ns', [{ key: 'k1', value: bytes(42, 43) }]);
        assert.deepEqual([...(await s.blobs.get('ns', 'k1'))!], [42, 43]);
        assert.equal(await s.blobs.count('ns'), 1203);
        await s.blobs.delete('ns', ['k0', 'k1', 'none']);
        assert.equal(await s.blobs.count('ns'), 1201);
        const listed = await s.blobs.keys('ns');
        assert.deepEqual(listed, [...keys.slice(2)].sort());
        assert.deepEqual(await s.blobs.keys('other'), ['k1']);
      });

      test('a row set reads back as one saved matrix until a row changes; without one, from the rows', async (s) => {
        const row = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
        const rows = (n: number, at: number) =>
          Array.from({ length: n }, (_, i) => ({ key: `i${at + i}`, value: row(at + i, -i, 0.5, i / 3) }));
        // rows from before stamps: no matrix is current until one is saved, which stamps them
        await s.blobs.put('vecs', rows(5, 0));
        assert.equal(await loadMatrix(s.blobs, 'vecs'), undefined);
        // chunks of two rows: the matrix spans three blobs
        const saved = await saveMatrix(s.blobs, 'vecs', { chunkBytes: 32 });
        assert.deepEqual(saved, await readRows(s.blobs, 'vecs'));
        assert.deepEqual(saved.ids, ['i0', 'i1', 'i2', 'i3', 'i4']);
        const back = await loadMatrix(s.blobs, 'vecs');
        assert.deepEqual(back?.ids, saved.ids);
        assert.equal(back?.dim, 4);
        assert.deepEqual([...back!.data], [...saved.data]);
        // a row written with its stamp makes the matrix stale; the next save has it
        await s.blobs.put('vecs', withStamp([{ key: 'i1', value: row(9, 9, 9, 9) }]));
        assert.equal(await loadMatrix(s.blobs, 'vecs'), undefined);
        await saveMatrix(s.blobs, 'vecs');
        assert.deepEqual([...(await loadMatrix(s.blobs, 'vecs'))!.data.subarray(4, 8)], [9, 9, 9, 9]);
        // so does a delete followed by a restamp
        await s.blobs.delete('vecs', ['i0']);
        await restamp(s.blobs, 'vecs');
        assert.equal(await loadMatrix(s.blobs, 'vecs'), undefined);
        assert.deepEqual((await saveMatrix(s.blobs, 'vecs')).ids, ['i1', 'i2', 'i3', 'i4']);
        // one chunk now: the three of the first save are gone
        assert.deepEqual(await s.blobs.keys('matrix'), ['vecs', 'vecs #0']);
        assert.deepEqual((await readRows(s.blobs, 'vecs', ['i4', 'none', 'i2'])).ids, ['i4', 'i2']);
        await dropMatrices(s.blobs);
        assert.equal(await loadMatrix(s.blobs, 'vecs'), undefined);
        assert.equal(await s.blobs.count('matrix'), 0);
      });

      test("erases a deleted user's blobs in every namespace, and nobody else's", async (s) => {
        await s.blobs.put('profile', [
          { key: 'u1', value: bytes(1) },
          { key: 'u1:shop', value: bytes(2) },
          { key: 'u10', value: bytes(3) },
          { key: 'u1x', value: bytes(4) },
        ]);
        await s.blobs.put('vec', [
          { key: 'user:u1', value: bytes(5) },
          { key: 'user:u10', value: bytes(6) },
        ]);
        assert.equal(await s.deleteUser('u1'), 3);
        assert.deepEqual(await s.blobs.keys('profile'), ['u10', 'u1x']);
        assert.deepEqual(await s.blobs.keys('vec'), ['user:u10']);
        assert.equal(await s.deleteUser('u1'), 0);
      });
    });
  });
}
