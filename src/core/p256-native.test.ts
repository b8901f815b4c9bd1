import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { flattenedDecrypt } from 'jose';
import { decryptJwe, encryptJwe, generateTeeKeyPair, utf8, type EcPublicJwk } from './index.js';
import { loadP256Native, p256Native } from './p256-native.js';
import { requireNativeP256 as requireNative } from '../../test/support/native-addon.js';


const recipient = () => {
  const r = createECDH('prime256v1');
  r.generateKeys();
  return r;
};

/** The private scalar as 32 bytes: node:crypto drops leading zero bytes (1 key in 256). */
const scalarOf = (r: ReturnType<typeof createECDH>) => {
  const d = r.getPrivateKey();
  return Buffer.concat([Buffer.alloc(32 - d.length), d]);
};

describe('p256Native.ecdhEphemeral', { skip: requireNative() }, () => {
  const native = p256Native()!;

  test('agrees with node:crypto on the recipient side, with a fresh ephemeral key each call (property)', () => {
    fc.assert(
      fc.property(fc.integer(), () => {
        const r = recipient();
        const a = native.ecdhEphemeral(r.getPublicKey());
        const b = native.ecdhEphemeral(r.getPublicKey());
        assert.equal(a.epk.length, 65);
        assert.equal(a.epk[0], 4);
        assert.equal(a.z.length, 32);
        assert.deepEqual(Buffer.from(r.computeSecret(a.epk)), Buffer.from(a.z));
        assert.notDeepEqual(Buffer.from(a.epk), Buffer.from(b.epk));
      }),
      { numRuns: 50 },
    );
  });

  test('refuses points that are not on P-256, compressed, truncated or extended', () => {
    const good = recipient().getPublicKey();
    const offCurve = Buffer.from(good);
    offCurve[40]! ^= 1;
    assert.throws(() => native.ecdhEphemeral(offCurve), RangeError);
    const compressed = recipient().getPublicKey(null, 'compressed');
    assert.throws(() => native.ecdhEphemeral(compressed), RangeError);
    assert.throws(() => native.ecdhEphemeral(Buffer.concat([compressed, randomBytes(32)])), RangeError, 'a 02/03 prefix on 65 bytes');
    assert.throws(() => native.ecdhEphemeral(good.subarray(0, 64)), RangeError);
    assert.throws(() => native.ecdhEphemeral(Buffer.concat([good, Buffer.from([0])])), RangeError);
    assert.throws(() => native.ecdhEphemeral(new Uint8Array(65)), RangeError, 'all zeros');
    const p384 = createECDH('secp384r1');
    assert.throws(() => native.ecdhEphemeral(p384.generateKeys().subarray(0, 65)), RangeError);
  });

  test('ecdh: the recipient side agrees with node:crypto and with ecdhEphemeral (property)', () => {
    fc.assert(
      fc.property(fc.integer(), () => {
        const r = recipient();
        const { epk, z } = native.ecdhEphemeral(r.getPublicKey());
        assert.deepEqual(Buffer.from(native.ecdh(scalarOf(r), epk)), Buffer.from(z));
        const s = recipient();
        assert.deepEqual(Buffer.from(native.ecdh(scalarOf(r), s.getPublicKey())), s.computeSecret(r.getPublicKey()));
      }),
      { numRuns: 300 },
    );
  });

  test('ecdh: refuses scalars out of 1..n-1 or of another length, and points off the curve', () => {
    const peer = recipient().getPublicKey();
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    for (const d of [Buffer.alloc(32), n, Buffer.alloc(32, 0xff)]) assert.throws(() => native.ecdh(d, peer), RangeError);
    assert.throws(() => native.ecdh(Buffer.alloc(31, 1), peer), RangeError);
    assert.throws(() => native.ecdh(Buffer.alloc(33, 1), peer), RangeError);
    const off = Buffer.from(peer);
    off[64]! ^= 1;
    assert.throws(() => native.ecdh(scalarOf(recipient()), off), RangeError);
    assert.throws(() => native.ecdh('d' as unknown as Uint8Array, peer), TypeError);
    assert.throws(() => native.ecdh(scalarOf(recipient()), undefined as unknown as Uint8Array), TypeError);
  });

  test('refuses arguments that are not a Uint8Array', () => {
    for (const bad of [undefined, null, 'x'.repeat(65), 65, {}, new Uint16Array(65), new Int8Array(65)]) {
      assert.throws(() => native.ecdhEphemeral(bad as unknown as Uint8Array), TypeError);
    }
  });

  test('random 65-byte inputs either fail with RangeError or agree with node:crypto (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (tail) => {
        const point = Buffer.concat([Buffer.from([4]), tail]);
        try {
          const { z, epk } = native.ecdhEphemeral(point);
          return z.length === 32 && epk.length === 65;
        } catch (err) {
          return err instanceof RangeError;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('p256Native.sealJwe', { skip: requireNative() }, () => {
  const native = p256Native()!;
  const B64URL = /^[A-Za-z0-9_-]*$/;
  /** A TEE key pair, its JWK and its uncompressed point. */
  const teeKey = () => {
    const { privateKey, jwk } = generateTeeKeyPair('P-256');
    const ec = jwk as EcPublicJwk & { alg: string };
    return { privateKey, jwk: ec, point: Buffer.concat([Buffer.from([4]), Buffer.from(ec.x, 'base64url'), Buffer.from(ec.y, 'base64url')]) };
  };

  test('makes JWEs that jose and decryptJwe open, for any plaintext, with fresh keys, CEK and IV each time (property)', async () => {
    const { privateKey, point } = teeKey();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (plaintext) => {
        const a = native.sealJwe(point, plaintext);
        const b = native.sealJwe(point, plaintext);
        assert.deepEqual(Object.keys(a), ['protected', 'encrypted_key', 'iv', 'ciphertext', 'tag']);
        for (const v of Object.values(a)) assert.match(v, B64URL);
        assert.equal(Buffer.from(a.encrypted_key, 'base64url').length, 40);
        assert.equal(Buffer.from(a.iv, 'base64url').length, 12);
        assert.equal(Buffer.from(a.tag, 'base64url').length, 16);
        assert.equal(Buffer.from(a.ciphertext, 'base64url').length, plaintext.length);
        assert.notEqual(a.protected, b.protected);
        assert.notEqual(a.iv, b.iv);
        assert.notEqual(a.encrypted_key, b.encrypted_key);
        const opened = await flattenedDecrypt(a, privateKey);
        assert.deepEqual(Buffer.from(opened.plaintext), Buffer.from(plaintext));
        assert.deepEqual(Buffer.from(decryptJwe(b, privateKey)), Buffer.from(plaintext));
      }),
      { numRuns: 60 },
    );
  });

  test('writes the protected header member for member as the node:crypto path does', () => {
    const { point } = teeKey();
    for (let i = 0; i < 20; i++) {
      const text = Buffer.from(native.sealJwe(point, utf8('x')).protected, 'base64url').toString('utf8');
      const header = JSON.parse(text) as { epk: { x: string; y: string } };
      assert.equal(text, JSON.stringify({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', epk: { crv: 'P-256', kty: 'EC', x: header.epk.x, y: header.epk.y } }));
      assert.equal(Buffer.from(header.epk.x, 'base64url').length, 32);
      assert.equal(Buffer.from(header.epk.y, 'base64url').length, 32);
    }
  });

  test('a flipped byte in any member of its JWE makes decryption fail', () => {
    const { privateKey, point } = teeKey();
    const jwe = native.sealJwe(point, utf8('the secret'));
    for (const member of ['protected', 'encrypted_key', 'iv', 'ciphertext', 'tag'] as const) {
      const bytes = Buffer.from(jwe[member], 'base64url');
      bytes[bytes.length >> 1]! ^= 0x10;
      assert.throws(() => decryptJwe({ ...jwe, [member]: bytes.toString('base64url') }, privateKey), `${member} flipped`);
    }
  });

  test('refuses recipients off the curve or of the wrong shape, and arguments that are not bytes', () => {
    const good = recipient().getPublicKey();
    const offCurve = Buffer.from(good);
    offCurve[33]! ^= 1;
    assert.throws(() => native.sealJwe(offCurve, utf8('x')), RangeError);
    assert.throws(() => native.sealJwe(good.subarray(0, 64), utf8('x')), RangeError);
    assert.throws(() => native.sealJwe(new Uint8Array(65), utf8('x')), RangeError);
    assert.throws(() => native.sealJwe(recipient().getPublicKey(null, 'compressed'), utf8('x')), RangeError);
    for (const bad of [undefined, 'x', 3, {}, new Uint16Array(4)]) {
      assert.throws(() => native.sealJwe(good, bad as unknown as Uint8Array), TypeError);
      assert.throws(() => native.sealJwe(bad as unknown as Uint8Array, utf8('x')), TypeError);
    }
  });

  test('random 65-byte recipients either fail with RangeError or give a JWE (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (tail, plaintext) => {
        try {
          const jwe = native.sealJwe(Buffer.concat([Buffer.from([4]), tail]), plaintext);
          return Buffer.from(jwe.ciphertext, 'base64url').length === plaintext.length;
        } catch (err) {
          return err instanceof RangeError;
        }
      }),
      { numRuns: 300 },
    );
  });

  test("leaves OpenSSL's error queue empty after refusing input (a stale entry aborts Node's next WebCrypto AES job)", async () => {
    const { subtle } = globalThis.crypto;
    const key = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    const bad = new Uint8Array(65).fill(4); // 04 prefix, not on the curve: OpenSSL queues an error
    const peer = recipient().getPublicKey();
    const refusals = [() => native.sealJwe(bad, utf8('x')), () => native.ecdhEphemeral(bad), () => native.ecdh(scalarOf(recipient()), bad), () => native.ecdh(new Uint8Array(32), peer)];
    for (const refuse of refusals) {
      assert.throws(refuse, RangeError);
      // Before the fix this aborted the process (node::crypto::CipherJob<AESCipherTraits>::ToResult, errors->Empty()).
      const ct = await subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, new Uint8Array(4));
      assert.equal(ct.byteLength, 20);
    }
  });

  test('encryptJwe turns a recipient off the curve into MalformedInput', () => {
    const { jwk } = teeKey();
    const y = Buffer.from(jwk.y, 'base64url');
    y[5]! ^= 1;
    assert.throws(() => encryptJwe(utf8('x'), { ...jwk, y: y.toString('base64url') }), { name: 'MalformedInput', message: /not a point on the curve/ });
  });
});

describe('loadP256Native', () => {
  test('ignores a missing addon and one from an older build that lacks a function', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coco-addon-'));
    try {
      assert.equal(loadP256Native(join(dir, 'absent.node')), undefined);
      const old = join(dir, 'old.cjs');
      writeFileSync(old, 'module.exports = { ecdhEphemeral() {}, ecdh() {} };'); // before sealJwe existed
      assert.equal(loadP256Native(old), undefined);
      const whole = join(dir, 'whole.cjs');
      writeFileSync(whole, 'module.exports = { ecdhEphemeral() {}, ecdh() {}, sealJwe() {} };');
      assert.notEqual(loadP256Native(whole), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('encryptJwe without the addon', () => {
  test('gives a P-256 JWE that decrypts the same (node:crypto ECDH)', () => {
    const { privateKey, jwk } = generateTeeKeyPair('P-256');
    const script = `import { encryptJwe, utf8 } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
import { disableNativeP256, p256Native } from ${JSON.stringify(new URL('./p256-native.ts', import.meta.url).href)};
disableNativeP256();
if (p256Native()) throw new Error('the addon should be off');
process.stdout.write(JSON.stringify(encryptJwe(utf8('fallback'), ${JSON.stringify(jwk)})));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(Buffer.from(decryptJwe(JSON.parse(run.stdout), privateKey)).toString(), 'fallback');
  });

  test('decrypts a P-256 JWE made with the addon (node:crypto ECDH on the recipient side)', () => {
    const { privateKey, jwk } = generateTeeKeyPair('P-256');
    const jwe = encryptJwe(utf8('made natively'), jwk);
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const script = `import { createPrivateKey } from 'node:crypto';
import { decryptJwe } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
import { disableNativeP256 } from ${JSON.stringify(new URL('./p256-native.ts', import.meta.url).href)};
disableNativeP256();
process.stdout.write(Buffer.from(decryptJwe(${JSON.stringify(jwe)}, createPrivateKey(${JSON.stringify(pem)}))).toString());`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'made natively');
  });
});
