import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { flattenedDecrypt } from 'jose';
import { requireCryptoThread as requireThread, teeKeyWithPoint as teeKey } from '../../test/support/native-addon.js';
import { decryptJwe, fromUtf8, utf8 } from './index.js';
import { p256NativeThread, type P256SigningKey } from './p256-native.js';

const ADDON = fileURLToPath(new URL('../../build/Release/p256_ecdh.node', import.meta.url));

const pkcs8Of = (curve: string) => new Uint8Array(generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ format: 'der', type: 'pkcs8' }));

describe('p256NativeThread.sealJweAsync', { skip: requireThread() }, () => {
  const native = p256NativeThread()!;

  test('makes JWEs that jose and decryptJwe open, for any plaintext (property)', async () => {
    const { privateKey, point } = teeKey();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (plaintext) => {
        const jwe = await native.sealJweAsync(point, plaintext);
        assert.deepEqual(decryptJwe(jwe, privateKey), plaintext);
        assert.deepEqual((await flattenedDecrypt(jwe, privateKey)).plaintext, plaintext);
      }),
      { numRuns: 60 },
    );
  });

  test('answers a thousand concurrent jobs, each for its own recipient and plaintext', async () => {
    const keys = Array.from({ length: 8 }, teeKey);
    const jobs = Array.from({ length: 1000 }, (_, i) => ({ k: keys[i % keys.length]!, text: `secret ${i}` }));
    const jwes = await Promise.all(jobs.map(({ k, text }) => native.sealJweAsync(k.point, utf8(text))));
    jwes.forEach((jwe, i) => assert.equal(fromUtf8(decryptJwe(jwe, jobs[i]!.k.privateKey)), jobs[i]!.text));
  });

  test('a point off the curve rejects with RangeError; a wrong length or a non-byte argument throws at once', async () => {
    const { point } = teeKey();
    const off = Buffer.from(point);
    off[64]! ^= 1;
    await assert.rejects(native.sealJweAsync(off, utf8('x')), (err: Error) => err instanceof RangeError && /on P-256/.test(err.message));
    assert.throws(() => native.sealJweAsync(point.subarray(0, 64), utf8('x')), RangeError);
    assert.throws(() => native.sealJweAsync(Buffer.concat([point, Buffer.from([0])]), utf8('x')), RangeError);
    assert.throws(() => native.sealJweAsync('not bytes' as never, utf8('x')), TypeError);
    assert.throws(() => native.sealJweAsync(point, [1, 2] as never), TypeError);
  });

  test('the plaintext is copied when the job is queued: changing it afterwards changes nothing', async () => {
    const { privateKey, point } = teeKey();
    const plaintext = utf8('original');
    const pending = native.sealJweAsync(point, plaintext);
    plaintext.fill(0x41);
    assert.equal(fromUtf8(decryptJwe(await pending, privateKey)), 'original');
  });

  test('random 65-byte recipients either reject with RangeError or give a JWE of the plaintext (fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), async (tail, plaintext) => {
        try {
          const jwe = await native.sealJweAsync(Buffer.concat([Buffer.from([4]), tail]), plaintext);
          return Buffer.from(jwe.ciphertext, 'base64url').length === plaintext.length;
        } catch (err) {
          return err instanceof RangeError;
        }
      }),
      { numRuns: 300 },
    );
  });

  test("leaves this thread's OpenSSL error queue empty after a refusal (WebCrypto keeps working)", async () => {
    const { subtle } = globalThis.crypto;
    const key = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    await assert.rejects(native.sealJweAsync(new Uint8Array(65).fill(4), utf8('x')), RangeError);
    const ct = await subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, key, new Uint8Array(4));
    assert.equal(ct.byteLength, 20);
  });
});

describe('p256NativeThread.signEs256Async', { skip: requireThread() }, () => {
  const native = p256NativeThread()!;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const handle = () => native.signingKey(new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })));
  const valid = (input: Uint8Array, sig: Uint8Array) => verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);

  test('signatures verify with node:crypto, cover exactly their input and differ each time (property)', async () => {
    const key = handle();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (input) => {
        const [a, b] = await Promise.all([native.signEs256Async(key, input), native.signEs256Async(key, input)]);
        assert.equal(a.length, 64);
        assert.ok(valid(input, a) && valid(input, b));
        assert.notDeepEqual(a, b, 'ECDSA signatures use a fresh nonce');
        assert.ok(!valid(Buffer.concat([input, Buffer.from([0])]), a));
      }),
      { numRuns: 60 },
    );
  });

  test('signJwsAsync returns the compact JWS (the input, a dot and a signature that verifies) and its SHA-256 (property)', async () => {
    const key = handle();
    await fc.assert(
      fc.asyncProperty(fc.base64String({ maxLength: 3000 }), fc.base64String({ maxLength: 300 }), async (payload, header) => {
        const input = `${header.replace(/=/g, '')}.${payload.replace(/=/g, '')}`;
        const { token: jws, digest } = await native.signJwsAsync(key, utf8(input));
        assert.equal(digest, createHash('sha256').update(jws, 'latin1').digest('base64url'), 'digest is the SHA-256 of the whole token');
        assert.equal(jws.length, input.length + 1 + 86);
        assert.equal(jws.slice(0, input.length + 1), `${input}.`);
        const sig = Buffer.from(jws.slice(input.length + 1), 'base64url');
        assert.ok(valid(utf8(input), sig));
        // The string is an ordinary string to JavaScript (its bytes just live outside the heap).
        assert.equal(JSON.parse(JSON.stringify({ jws })).jws, jws);
        assert.equal(Buffer.from(jws, 'latin1').toString('latin1'), jws);
        assert.equal(jws.lastIndexOf('.'), input.length);
      }),
      { numRuns: 60 },
    );
  });

  test('signJwsAsync strings outlive collections and their handles: many kept, many dropped, all intact', async () => {
    const key = handle();
    const kept: Array<[string, string]> = [];
    for (let round = 0; round < 20; round++) {
      const inputs = Array.from({ length: 100 }, (_, i) => `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(`round ${round} token ${i} `.repeat(40)).toString('base64url')}`);
      const tokens = (await Promise.all(inputs.map((input) => native.signJwsAsync(key, utf8(input))))).map((s) => s.token);
      kept.push([inputs[0]!, tokens[0]!]);
      (globalThis as { gc?: () => void }).gc?.();
    }
    for (const [input, jws] of kept) assert.ok(valid(utf8(input), Buffer.from(jws.slice(input.length + 1), 'base64url')));
  });

  test('signingKey refuses keys that are not P-256 private keys in PKCS#8 DER', () => {
    const good = pkcs8Of('prime256v1');
    const rsa = new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'der', type: 'pkcs8' }));
    const flipped = Uint8Array.from(good);
    flipped[3]! ^= 0xff;
    for (const bad of [pkcs8Of('secp384r1'), rsa, good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([0])]), flipped, new Uint8Array(0)]) {
      assert.throws(() => native.signingKey(bad), RangeError);
    }
    assert.throws(() => native.signingKey('pem?' as never), TypeError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          native.signingKey(bytes);
          return false; // random bytes are never a P-256 PKCS#8 key
        } catch (err) {
          return err instanceof RangeError;
        }
      }),
      { numRuns: 300 },
    );
  });

  test('signEs256Async takes only handles from signingKey', () => {
    for (const notAHandle of [{}, null, 'key', pkcs8Of('prime256v1')]) {
      assert.throws(() => native.signEs256Async(notAHandle as unknown as P256SigningKey, utf8('x')), TypeError);
    }
    assert.throws(() => native.signEs256Async(handle(), 'text' as never), TypeError);
    assert.throws(() => native.signJwsAsync({} as unknown as P256SigningKey, utf8('x')), TypeError);
  });

  test('a job keeps its key alive: signatures still come back when the handle is dropped at once', async () => {
    const sigs = await Promise.all(Array.from({ length: 200 }, (_, i) => native.signEs256Async(handle(), utf8(`input ${i}`))));
    sigs.forEach((sig, i) => assert.ok(valid(utf8(`input ${i}`), sig)));
  });
});

describe('the crypto thread and the process', { skip: requireThread() }, () => {
  const script = (body: string) => `const m = require(${JSON.stringify(ADDON)}); ${body}`;

  test('does not keep a process alive once its jobs are answered', () => {
    const body = `
      const { generateKeyPairSync } = require('node:crypto');
      const k = m.signingKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'der', type: 'pkcs8' }));
      m.signEs256Async(k, Buffer.from('x')).then((s) => console.log('signed', s.length));`;
    const run = spawnSync(process.execPath, ['-e', script(body)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'signed 64');
  });

  test('keeps a process alive while a job is outstanding, and a process exiting meanwhile ends cleanly', () => {
    const body = `
      const { generateKeyPairSync } = require('node:crypto');
      const k = m.signingKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'der', type: 'pkcs8' }));
      for (let i = 0; i < 2000; i++) m.signEs256Async(k, Buffer.from('x' + i));
      m.signEs256Async(k, Buffer.from('last')).then(() => { console.log('last answered'); process.exit(0); });`;
    const run = spawnSync(process.execPath, ['-e', script(body)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'last answered');
  });

  test('a Worker that used it can be terminated mid-work, and this thread keeps its own', async () => {
    const body = `
      const { parentPort } = require('node:worker_threads');
      const pt = Buffer.from('x');
      const point = Buffer.from(${JSON.stringify(teeKey().point.toString('hex'))}, 'hex');
      const loop = () => m.sealJweAsync(point, pt).then(loop);
      for (let i = 0; i < 8; i++) loop();
      parentPort.postMessage('busy');`;
    for (let round = 0; round < 3; round++) {
      const w = new Worker(script(body), { eval: true });
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await new Promise((r) => setTimeout(r, 30));
      await w.terminate();
    }
    const { privateKey, point } = teeKey();
    assert.equal(fromUtf8(decryptJwe(await p256NativeThread()!.sealJweAsync(point, utf8('still here')), privateKey)), 'still here');
  });
});
