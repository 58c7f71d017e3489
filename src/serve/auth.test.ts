import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecError } from '../core/errors.ts';
import { KeyChecker, presentedKey, sha256Hex } from './auth.ts';

const code = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof RecError);
    return e.code;
  }
};

test('admin keys grant everything, read keys only reads, unknown keys nothing', () => {
  const keys = new KeyChecker({ adminKeyHashes: [sha256Hex('root')], readKeyHashes: [sha256Hex('web')] });
  assert.equal(keys.level('root'), 'admin');
  assert.equal(keys.level('web'), 'read');
  assert.equal(keys.level('roo'), 'none');
  assert.equal(keys.level(undefined), 'none');
  assert.equal(
    code(() => keys.check('admin', 'root')),
    undefined,
  );
  assert.equal(
    code(() => keys.check('read', 'root')),
    undefined,
  );
  assert.equal(
    code(() => keys.check('read', 'web')),
    undefined,
  );
  assert.equal(
    code(() => keys.check('admin', 'web')),
    'FORBIDDEN',
  );
  assert.equal(
    code(() => keys.check('admin', undefined)),
    'UNAUTHORIZED',
  );
  assert.equal(
    code(() => keys.check('read', 'nope')),
    'UNAUTHORIZED',
  );
  assert.equal(
    code(() => keys.check('public', undefined)),
    undefined,
  );
});

test('with no digests configured, that access level is open', () => {
  const open = new KeyChecker({ adminKeyHashes: [], readKeyHashes: [] });
  assert.equal(
    code(() => open.check('admin', undefined)),
    undefined,
  );
  const readsOpen = new KeyChecker({ adminKeyHashes: [sha256Hex('root')], readKeyHashes: [] });
  assert.equal(
    code(() => readsOpen.check('read', undefined)),
    undefined,
  );
  assert.equal(
    code(() => readsOpen.check('admin', undefined)),
    'UNAUTHORIZED',
  );
});

test('configured digests must be SHA-256 hex, named by their config path', () => {
  try {
    new KeyChecker({ adminKeyHashes: [sha256Hex('ok'), 'plain-text-key'], readKeyHashes: [] });
    assert.fail('accepted a key that is not a digest');
  } catch (e) {
    assert.ok(e instanceof RecError);
    assert.equal(e.code, 'INVALID_CONFIG');
    assert.equal(e.field, 'server.adminKeyHashes[1]');
  }
});

test('the key is read from Authorization: Bearer or X-API-Key', () => {
  assert.equal(presentedKey({ authorization: 'Bearer abc' }), 'abc');
  assert.equal(presentedKey({ 'x-api-key': 'xyz' }), 'xyz');
  assert.equal(presentedKey({ authorization: 'Basic abc' }), undefined);
  assert.equal(presentedKey({}), undefined);
});
