import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { flattenedDecrypt } from 'jose';
import { requireCryptoThread, teeKeyWithPoint as teeKey } from '../../test/support/native-addon.js';
import { decryptJwe, utf8 } from './index.js';
import { p256NativeThread, type P256PreparedRelease } from './p256-native.js';

describe('p256NativeThread: a release prepared with a token signature', { skip: requireCryptoThread() }, () => {
  const native = p256NativeThread()!;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = native.signingKey(new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })));
  const INPUT = utf8('aGVhZGVy.cGF5bG9hZA');
  const signatureValid = (token: string) => verify('sha256', INPUT, { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(token.split('.')[2]!, 'base64url'));

  test('seals any plaintext once, to a JWE that jose and decryptJwe open, beside a token that verifies (property)', async () => {
    const tee = teeKey();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (plaintext) => {
        const { token, release } = await native.signJwsAsync(key, INPUT, tee.point);
        assert.ok(signatureValid(token));
        assert.ok(release, 'a release for a point on the curve');
        const jwe = native.sealPrepared(release, plaintext);
        assert.deepEqual(decryptJwe(jwe, tee.privateKey), plaintext);
        assert.deepEqual((await flattenedDecrypt(jwe, tee.privateKey)).plaintext, plaintext);
        const header = JSON.parse(Buffer.from(jwe.protected, 'base64url').toString()) as Record<string, unknown>;
        assert.deepEqual([header.alg, header.enc], ['ECDH-ES+A256KW', 'A256GCM']);
        assert.throws(() => native.sealPrepared(release, plaintext), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_STATE', 'each release seals once');
      }),
      { numRuns: 40 },
    );
  });

  test('every release has its own ephemeral key and CEK, and only its recipient opens it', async () => {
    const tee = teeKey();
    const other = teeKey();
    const [a, b] = await Promise.all([native.signJwsAsync(key, INPUT, tee.point), native.signJwsAsync(key, INPUT, tee.point)]);
    const ja = native.sealPrepared(a.release!, utf8('same'));
    const jb = native.sealPrepared(b.release!, utf8('same'));
    assert.notEqual(ja.protected, jb.protected);
    assert.notEqual(ja.encrypted_key, jb.encrypted_key);
    await assert.rejects(flattenedDecrypt(ja, other.privateKey));
  });

  test('a JWE altered in any one part does not open', async () => {
    const tee = teeKey();
    const { release } = await native.signJwsAsync(key, INPUT, tee.point);
    const jwe = native.sealPrepared(release!, utf8('the secret'));
    for (const part of ['protected', 'encrypted_key', 'iv', 'ciphertext', 'tag'] as const) {
      const bytes = Buffer.from(jwe[part], 'base64url');
      bytes[bytes.length >> 1]! ^= 0x01;
      await assert.rejects(flattenedDecrypt({ ...jwe, [part]: bytes.toString('base64url') }, tee.privateKey), part);
    }
  });

  test('a point that is not on P-256 gives a valid token and no release', async () => {
    const bad = teeKey().point;
    bad[64]! ^= 0x01;
    const offCurve = await native.signJwsAsync(key, INPUT, bad);
    assert.ok(signatureValid(offCurve.token));
    assert.equal(offCurve.release, undefined);
    const none = await native.signJwsAsync(key, INPUT);
    assert.equal(none.release, undefined, 'no point, no release');
  });

  test('a release point of the wrong type or length is refused before any work', () => {
    const point = teeKey().point;
    for (const wrong of [point.subarray(0, 64), Buffer.concat([point, Buffer.from([0])]), new Uint8Array(0)]) {
      assert.throws(() => native.signJwsAsync(key, INPUT, wrong), RangeError);
    }
    for (const wrong of ['04ab', 65, {}, null]) assert.throws(() => native.signJwsAsync(key, INPUT, wrong as never), TypeError);
  });

  test('a discarded release no longer seals; discarding twice or after use is harmless', async () => {
    const tee = teeKey();
    const { release } = await native.signJwsAsync(key, INPUT, tee.point);
    native.discardPrepared(release!);
    native.discardPrepared(release!);
    assert.throws(() => native.sealPrepared(release!, utf8('x')), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_STATE');
    const used = (await native.signJwsAsync(key, INPUT, tee.point)).release!;
    assert.ok(native.sealPrepared(used, utf8('y')).ciphertext);
    native.discardPrepared(used);
    for (const notARelease of [{}, null, tee.point, key]) assert.throws(() => native.discardPrepared(notARelease as unknown as P256PreparedRelease), TypeError);
  });

  test('sealPrepared takes only prepared releases and byte plaintexts', async () => {
    for (const notARelease of [{}, null, 'release', teeKey().point, key]) {
      assert.throws(() => native.sealPrepared(notARelease as unknown as P256PreparedRelease, utf8('x')), TypeError);
    }
    const { release } = await native.signJwsAsync(key, INPUT, teeKey().point);
    assert.throws(() => native.sealPrepared(release!, 'text' as never), TypeError);
    assert.ok(native.sealPrepared(release!, utf8('still unused')).ciphertext, 'a refused call does not use the release up');
  });
});
