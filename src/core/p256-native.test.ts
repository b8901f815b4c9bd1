import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { decryptJwe, encryptJwe, generateTeeKeyPair, utf8 } from './index.js';
import { p256Native } from './p256-native.js';

/** Skip locally when the addon is not built; in CI it must be (npm ci builds it). */
function requireNative(): false | string {
  if (p256Native()) return false;
  const why = 'needs the native P-256 addon (npm install builds it with python3, make and g++)';
  if (process.env.CI === 'true') throw new Error(`CI must not skip: ${why}`);
  return why;
}

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
