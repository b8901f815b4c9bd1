import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyPairKeyObjectResult } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { jwtKeyFromJwks, jwtKeyFromPem, signJwt, verifyJwt } from './jose.js';
import { MalformedInput, VerificationFailed } from './errors.js';
import { fromBase64Url, toBase64Url } from './encoding.js';

const NOW = 1_750_000_000_000;
const pems = (type: 'ed25519' | 'ec' | 'rsa', opts: object = {}) => {
  const k = (generateKeyPairSync as (t: string, o: object) => KeyPairKeyObjectResult)(type, opts);
  return { priv: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), pub: k.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};
const ed = pems('ed25519');
const p256 = pems('ec', { namedCurve: 'P-256' });
const p384 = pems('ec', { namedCurve: 'P-384' });
const rsa = pems('rsa', { modulusLength: 2048 });

const failsWith = async (p: Promise<unknown>, check: string | RegExp) =>
  assert.rejects(p, (e: unknown) => e instanceof VerificationFailed && (typeof check === 'string' ? e.check === check : check.test(e.check)));

describe('signJwt / verifyJwt', () => {
  for (const [name, k, alg] of [['Ed25519', ed, 'EdDSA'], ['P-256', p256, 'ES256'], ['P-384', p384, 'ES384'], ['RSA', rsa, 'RS256']] as const) {
    test(`round-trips a ${name} token with alg ${alg}`, async () => {
      const t = await signJwt({ role: 'admin' }, k.priv, { now: NOW, ttlSec: 60, issuer: 'i', audience: 'a', subject: 's' });
      const { payload, header } = await verifyJwt(t, jwtKeyFromPem(k.pub), { now: NOW, issuer: 'i', audience: 'a', requiredClaims: ['exp'] });
      assert.equal(header.alg, alg);
      assert.deepEqual([payload.role, payload.sub, payload.exp], ['admin', 's', NOW / 1000 + 60]);
    });
  }

  test('rejects a token signed by another key of the same type', async () => {
    const t = await signJwt({}, pems('ed25519').priv, { now: NOW, ttlSec: 60 });
    await failsWith(verifyJwt(t, jwtKeyFromPem(ed.pub), { now: NOW }), 'jwt.signature');
  });

  test('rejects an algorithm that does not fit the key (no key confusion)', async () => {
    const t = await signJwt({}, p256.priv, { now: NOW, ttlSec: 60 });
    await failsWith(verifyJwt(t, jwtKeyFromPem(ed.pub), { now: NOW }), 'jwt.alg');
  });

  test('checks exp against the given time, with the given leeway', async () => {
    const t = await signJwt({}, ed.priv, { now: NOW, ttlSec: 60 });
    await failsWith(verifyJwt(t, jwtKeyFromPem(ed.pub), { now: NOW + 61_000 }), 'jwt.exp');
    await verifyJwt(t, jwtKeyFromPem(ed.pub), { now: NOW + 61_000, clockToleranceSec: 5 });
  });

  test('rejects a wrong issuer or audience', async () => {
    const t = await signJwt({}, ed.priv, { now: NOW, ttlSec: 60, issuer: 'x', audience: ['a', 'b'] });
    await failsWith(verifyJwt(t, jwtKeyFromPem(ed.pub), { now: NOW, issuer: 'y' }), 'jwt.claims.iss');
    await failsWith(verifyJwt(t, jwtKeyFromPem(ed.pub), { now: NOW, audience: 'c' }), 'jwt.claims.aud');
    await verifyJwt(t, jwtKeyFromPem(ed.pub), { now: NOW, audience: 'b' });
  });

  test('every single flipped byte of the signing input or signature is rejected', async () => {
    const t = await signJwt({ role: 'admin' }, ed.priv, { now: NOW, ttlSec: 60 });
    const [h, p, s] = t.split('.') as [string, string, string];
    const key = jwtKeyFromPem(ed.pub);
    const sig = fromBase64Url(s);
    for (let i = 0; i < sig.length; i += 7) {
      const bad = sig.slice();
      bad[i]! ^= 0x01;
      await assert.rejects(verifyJwt(`${h}.${p}.${toBase64Url(bad)}`, key, { now: NOW }), VerificationFailed);
    }
    const payload = fromBase64Url(p);
    for (let i = 0; i < payload.length; i += 5) {
      const bad = payload.slice();
      bad[i]! ^= 0x01;
      await assert.rejects(verifyJwt(`${h}.${toBase64Url(bad)}.${s}`, key, { now: NOW }), VerificationFailed);
    }
  });

  test('truncated and garbage tokens fail with VerificationFailed (fuzz)', async () => {
    const t = await signJwt({ role: 'admin' }, ed.priv, { now: NOW, ttlSec: 60 });
    const key = jwtKeyFromPem(ed.pub);
    for (let n = 0; n < t.length; n += 11) await assert.rejects(verifyJwt(t.slice(0, n), key, { now: NOW }), VerificationFailed);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 120 }), async (s) => {
        await assert.rejects(verifyJwt(s, key, { now: NOW }), VerificationFailed);
      }),
      { numRuns: 200 },
    );
  });
});

describe('jwtKeyFromPem / jwtKeyFromJwks', () => {
  test('refuse material that is not a usable public key', () => {
    assert.throws(() => jwtKeyFromPem('not a pem'), MalformedInput);
    assert.throws(() => jwtKeyFromPem(pems('ec', { namedCurve: 'secp256k1' }).pub), MalformedInput);
    assert.throws(() => jwtKeyFromJwks({ nokeys: [] }), MalformedInput);
    assert.throws(() => jwtKeyFromJwks(null), MalformedInput);
  });

  test('refuses to guess between several matching JWK set keys and verifies with a single one', async () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = a.publicKey.export({ type: 'spki', format: 'der' });
    const jwk = { kty: 'EC', crv: 'P-256', kid: 'a', x: toBase64Url(der.subarray(27, 59)), y: toBase64Url(der.subarray(59, 91)) };
    const set = jwtKeyFromJwks({ keys: [{ ...jwk, kid: 'other', x: toBase64Url(der.subarray(59, 91)), y: toBase64Url(der.subarray(27, 59)) }, jwk] });
    const t = await signJwt({}, a.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { now: NOW, ttlSec: 60 });
    // No kid in our header: two EC keys match, which jose refuses rather than guess.
    await failsWith(verifyJwt(t, set, { now: NOW }), /^jwt\./);
    const single = jwtKeyFromJwks({ keys: [jwk] });
    await verifyJwt(t, single, { now: NOW });
  });
});
