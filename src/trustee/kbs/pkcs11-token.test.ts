import assert from 'node:assert/strict';
import { constants, privateDecrypt, publicEncrypt, createPublicKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SOFTHSM_MODULE, makeSoftHsmToken, requireSoftHsm, type SoftHsmToken } from '../../../test/support/softhsm.js';
import { ConfigError, MalformedInput, NotFound, Unavailable } from '../../core/index.js';
import { openPkcs11Token, type HsmSecrets } from './pkcs11-token.js';

const SKIP = requireSoftHsm();
const WRAP = 'coco-wrap';
let token: SoftHsmToken;
let hsm: HsmSecrets;
/** What opening with a wrong PIN did: PKCS#11 login state is per process, so this must come before any login. */
let wrongPin: unknown;

before(() => {
  if (SKIP) return;
  token = makeSoftHsmToken({ wrapLabel: WRAP });
  try {
    openPkcs11Token({ module: SOFTHSM_MODULE, pin: '00000000', configKey: 'plugins[1]' }).close();
  } catch (err) {
    wrongPin = err;
  }
  hsm = openPkcs11Token({ module: SOFTHSM_MODULE, pin: token.pin, rsaMechanism: 'RsaPkcsTest', lookupLabel: WRAP, configKey: 'plugins[0]' });
});
after(() => {
  hsm?.close();
  token?.cleanup();
});

const OAEP_SHA1 = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' };

describe('openPkcs11Token on SoftHSM', { skip: SKIP }, () => {
  test('stores binary secrets by label, replaces them, reads them back and removes them', () => {
    const value = Uint8Array.from([0, 1, 2, 255, 0, 7]);
    hsm.write('default/key/1', value);
    assert.deepEqual(hsm.read('default/key/1'), value);
    hsm.write('default/key/1', Uint8Array.from([9]));
    assert.deepEqual(hsm.read('default/key/1'), Uint8Array.from([9]));
    assert.equal(hsm.read('default/key/2'), undefined);
    assert.equal(hsm.remove('default/key/1'), true);
    assert.equal(hsm.read('default/key/1'), undefined);
    assert.equal(hsm.remove('default/key/1'), false);
  });

  test('never reads a wrap key as a secret of the same label', () => {
    assert.equal(hsm.read(WRAP), undefined);
  });

  test('wraps with RSA-OAEP that an independent implementation unwraps, and unwraps what one wraps', () => {
    const wrapped = hsm.wrap(Buffer.from('data key'));
    assert.equal(wrapped.length, 256);
    assert.equal(privateDecrypt({ key: token.wrapKey!, ...OAEP_SHA1 }, wrapped).toString(), 'data key');
    const outside = publicEncrypt({ key: createPublicKey(token.wrapKey!), ...OAEP_SHA1 }, Buffer.from('from outside'));
    assert.equal(Buffer.from(hsm.unwrap(outside)).toString(), 'from outside');
  });

  test('says data that is not wrapped with the key is malformed (flipped byte, truncated, empty)', () => {
    const wrapped = hsm.wrap(Buffer.from('x'));
    const flipped = Uint8Array.from(wrapped);
    flipped[10]! ^= 1;
    for (const bad of [flipped, wrapped.subarray(0, 100), Uint8Array.from([1, 2, 3])]) {
      assert.throws(() => hsm.unwrap(bad), MalformedInput);
    }
  });

  test('says so when no key pair carries lookup_label', () => {
    const other = openPkcs11Token({ module: SOFTHSM_MODULE, pin: token.pin, rsaMechanism: 'RsaPkcsTest', lookupLabel: 'nobody' });
    try {
      assert.throws(() => other.wrap(Buffer.from('x')), (e: unknown) => e instanceof NotFound && /labelled "nobody"/.test((e as Error).message));
    } finally {
      other.close();
    }
  });

  test('names the PKCS#11 error when the token lacks the mechanism (SoftHSM has no OAEP with SHA-256)', () => {
    const sha256 = openPkcs11Token({ module: SOFTHSM_MODULE, pin: token.pin, rsaMechanism: 'RsaPkcsOaep', lookupLabel: WRAP });
    try {
      assert.throws(() => sha256.wrap(Buffer.from('x')), (e: unknown) => e instanceof Unavailable && /CKR_/.test((e as Error).message));
    } finally {
      sha256.close();
    }
  });

  test('refuses a wrong PIN, a missing module and a slot out of range with a ConfigError naming the key', () => {
    assert.ok(wrongPin instanceof ConfigError && wrongPin.key === 'plugins[1].pin' && /CKR_PIN_INCORRECT/.test(wrongPin.message), String(wrongPin));
    const cases: Array<[Parameters<typeof openPkcs11Token>[0], string]> = [
      [{ module: '/nonexistent/libpkcs11.so', pin: token.pin, configKey: 'plugins[1]' }, 'plugins[1].module'],
      [{ module: SOFTHSM_MODULE, pin: token.pin, slotIndex: 5, configKey: 'plugins[1]' }, 'plugins[1].slot_index'],
    ];
    for (const [options, key] of cases) {
      assert.throws(() => openPkcs11Token(options).close(), (e: unknown) => e instanceof ConfigError && e.key === key, key);
    }
  });
});
