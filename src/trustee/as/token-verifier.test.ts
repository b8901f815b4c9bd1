import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { EmbeddedJWK, jwtVerify } from 'jose';
import { fixtureJson, fixtureText } from '../../../test/support/fixtures.js';
import { VerificationFailed, publicJwkOf } from '../../core/index.js';
import { createEarSigner, parsePemCertificates, signerJwks } from './ear-token.js';
import { TokenVerifier, endorseHeaderJwk, parseCompactJws } from './token-verifier.js';

const NOW = new Date('2026-11-23T08:00:00Z');
const scenario = (n: number) => ({
  jwk: fixtureJson<Record<string, unknown>>(`tokens/kbs-jwk-scenarios/scenario0${n}-jwk.json`),
  trust: parsePemCertificates(fixtureText(`tokens/kbs-jwk-scenarios/scenario0${n}-trust.pem`)),
});

describe('endorseHeaderJwk', () => {
  for (const [n, label] of [
    [1, 'a leaf signed by a trusted self-signed root'],
    [5, 'a leaf plus intermediate chaining to the trusted root'],
    [6, 'intermediates in permuted order'],
    [7, 'a partial chain ending in a trusted intermediate'],
  ] as const) {
    test(`accepts ${label} (scenario 0${n})`, () => {
      const s = scenario(n);
      assert.equal(endorseHeaderJwk(s.jwk, s.trust, NOW).asymmetricKeyType, 'rsa');
    });
  }
  for (const [n, label, check] of [
    [2, 'a leaf whose key differs from the jwk', 'token.x5c.leaf_key'],
    [3, 'a jwk without x5c', 'token.x5c.missing'],
    [4, 'a chain to an untrusted anchor', 'token.x5c.chain'],
  ] as const) {
    test(`refuses ${label} (scenario 0${n})`, () => {
      const s = scenario(n);
      assert.throws(() => endorseHeaderJwk(s.jwk, s.trust, NOW), (e: unknown) => e instanceof VerificationFailed && e.check === check);
    });
  }
  test('refuses a good chain after its certificates expired', () => {
    const s = scenario(1);
    assert.throws(() => endorseHeaderJwk(s.jwk, s.trust, new Date('2040-01-01T00:00:00Z')), { check: 'token.x5c.validity' });
  });
});

describe('createEarSigner', () => {
  test('publishes the JWKS the upstream fixture expects for its key and chain', () => {
    const signer = createEarSigner({ keyPem: fixtureText('tokens/jwk/signing-key.pem'), certChainPem: fixtureText('tokens/jwk/cert-chain.pem') });
    assert.deepEqual(signerJwks(signer), fixtureJson('tokens/jwk/expected-jwks.json'));
  });

  test('refuses a key that is not P-256', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    assert.throws(() => createEarSigner({ keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }), { code: 'ERR_CONFIG' });
  });

  test('signs tokens that jose verifies with the embedded header jwk', async () => {
    const signer = createEarSigner();
    const token = await signer.sign({ iss: 'x', exp: Math.floor(Date.now() / 1000) + 60 });
    const { payload, protectedHeader } = await jwtVerify(token, EmbeddedJWK);
    assert.equal(payload.iss, 'x');
    assert.equal(protectedHeader.alg, 'ES256');
  });
});

describe('TokenVerifier.verify', () => {
  const signer = createEarSigner();
  const ours = new TokenVerifier({ trustedKeys: [signer.publicKey] });
  const exp = Math.floor(NOW.getTime() / 1000) + 300;

  test('accepts a token from our own signer and returns its claims', async () => {
    const claims = ours.verify(await signer.sign({ exp, hello: 'world' }), NOW);
    assert.equal(claims.hello, 'world');
  });

  test('refuses a token from a key nobody trusts, unless insecure_header_jwk is set', async () => {
    const stranger = createEarSigner();
    const token = await stranger.sign({ exp });
    assert.throws(() => ours.verify(token, NOW), { check: 'token.x5c.missing' });
    assert.equal(new TokenVerifier({ insecureHeaderJwk: true }).verify(token, NOW).exp, exp);
  });

  test('refuses a token with one flipped payload byte', async () => {
    const token = await signer.sign({ exp, role: 'guest' });
    const [h, p, s] = token.split('.');
    const payload = Buffer.from(p!, 'base64url');
    payload[payload.length - 3] ^= 1;
    assert.throws(() => ours.verify(`${h}.${payload.toString('base64url')}.${s}`, NOW), VerificationFailed);
  });

  test('requires exp and honours the 60 s leeway', async () => {
    const noExp = await signer.sign({});
    assert.throws(() => ours.verify(noExp, NOW), { check: 'token.exp' });
    const token = await signer.sign({ exp });
    assert.ok(ours.verify(token, new Date((exp + 59) * 1000)));
    assert.throws(() => ours.verify(token, new Date((exp + 61) * 1000)), { check: 'token.exp' });
  });

  test('looks up a header kid in the trusted JWK sets', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ exp })).toString('base64url');
    const sig = sign('sha256', Buffer.from(`${header}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const v = new TokenVerifier({ jwks: [{ ...publicJwkOf(publicKey), kid: 'k1' }] });
    assert.equal(v.verify(`${header}.${body}.${sig}`, NOW).exp, exp);
    assert.throws(() => new TokenVerifier({ jwks: [] }).verify(`${header}.${body}.${sig}`, NOW), { check: 'token.kid' });
  });

  test('refuses a kid token whose header alg differs from the alg of the trusted JWK', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ exp })).toString('base64url');
    const sig = sign('sha256', Buffer.from(`${header}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const token = `${header}.${body}.${sig}`;
    assert.equal(new TokenVerifier({ jwks: [{ ...publicJwkOf(publicKey), alg: 'ES256', kid: 'k1' }] }).verify(token, NOW).exp, exp);
    assert.throws(() => new TokenVerifier({ jwks: [{ ...publicJwkOf(publicKey), alg: 'ES384', kid: 'k1' }] }).verify(token, NOW), { check: 'token.alg' });
  });

  test('refuses alg none', () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', jwk: signer.jwk })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ exp })).toString('base64url');
    assert.throws(() => ours.verify(`${header}.${body}.`, NOW), { check: 'token.alg' });
  });

  test('throws only VerificationFailed for arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((p) => p.join('.'))), (s) => {
        try {
          ours.verify(s, NOW);
          return false;
        } catch (e) {
          return e instanceof VerificationFailed && e.check.startsWith('token.');
        }
      }),
    );
  });
});

describe('parseCompactJws', () => {
  test('refuses truncated tokens with MalformedInput', () => {
    assert.throws(() => parseCompactJws('a.b'), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseCompactJws('e30.e30'), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseCompactJws('W10.e30.'), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('TokenVerifier.verifyAsync', () => {
  const signer = createEarSigner();
  const ours = new TokenVerifier({ trustedKeys: [signer.publicKey] });
  const exp = Math.floor(NOW.getTime() / 1000) + 300;

  test('accepts a token from our own signer and returns its claims', async () => {
    assert.equal((await ours.verifyAsync(await signer.sign({ exp, hello: 'async' }), NOW)).hello, 'async');
  });

  test('verifies the signature on every use: the same token stops verifying once expired', async () => {
    const token = await signer.sign({ exp });
    for (let i = 0; i < 3; i++) assert.equal((await ours.verifyAsync(token, NOW)).exp, exp);
    await assert.rejects(ours.verifyAsync(token, new Date((exp + 61) * 1000)), { check: 'token.exp' });
  });

  test('refuses untrusted keys, flipped signatures, wrong-length signatures and alg none like verify', async () => {
    await assert.rejects(ours.verifyAsync(await createEarSigner().sign({ exp }), NOW), { check: 'token.x5c.missing' });
    const [h, p, s] = (await signer.sign({ exp })).split('.');
    const sig = Buffer.from(s!, 'base64url');
    sig[5] ^= 0x40;
    await assert.rejects(ours.verifyAsync(`${h}.${p}.${sig.toString('base64url')}`, NOW), { check: 'token.signature' });
    await assert.rejects(ours.verifyAsync(`${h}.${p}.${sig.subarray(0, 40).toString('base64url')}`, NOW), { check: 'token.signature' });
    const none = Buffer.from(JSON.stringify({ alg: 'none', jwk: signer.jwk })).toString('base64url');
    await assert.rejects(ours.verifyAsync(`${none}.${p}.`, NOW), { check: 'token.alg' });
  });

  test('agrees with verify on every single-byte corruption of a good token', async () => {
    const token = await signer.sign({ exp, role: 'guest', n: 1 });
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const bad = token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ x) + token.slice(i + 1);
        let syncOk: boolean;
        try {
          ours.verify(bad, NOW);
          syncOk = true;
        } catch (e) {
          assert.ok(e instanceof VerificationFailed);
          syncOk = false;
        }
        let asyncOk: boolean;
        try {
          await ours.verifyAsync(bad, NOW);
          asyncOk = true;
        } catch (e) {
          assert.ok(e instanceof VerificationFailed);
          asyncOk = false;
        }
        assert.equal(asyncOk, syncOk);
      }),
      { numRuns: 200 },
    );
  });
});

describe('TokenVerifier with reloaded JWK sets', () => {
  const exp = Math.floor(NOW.getTime() / 1000) + 300;
  const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const kidToken = (privateKey: ReturnType<typeof keyPair>['privateKey'], kid: string) => {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ exp, kid })).toString('base64url');
    const sig = sign('sha256', Buffer.from(`${header}.${body}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return `${header}.${body}.${sig}`;
  };

  test('replaceJwks trusts a new kid and forgets a dropped one, even after it was looked up', async () => {
    const k1 = keyPair();
    const k2 = keyPair();
    const v = new TokenVerifier({ jwks: [{ ...publicJwkOf(k1.publicKey), kid: 'k1' }] });
    const t1 = kidToken(k1.privateKey, 'k1');
    const t2 = kidToken(k2.privateKey, 'k2');
    assert.equal(v.verify(t1, NOW).kid, 'k1'); // its key is now cached
    assert.throws(() => v.verify(t2, NOW), { check: 'token.kid' });
    v.replaceJwks([{ ...publicJwkOf(k2.publicKey), kid: 'k2' }]);
    assert.equal((await v.verifyAsync(t2, NOW)).kid, 'k2');
    assert.throws(() => v.verify(t1, NOW), { check: 'token.kid' });
    await assert.rejects(v.verifyAsync(t1, NOW), { check: 'token.kid' });
  });

  test('replaceJwks does not change the trust of the options object it was built from', () => {
    const k1 = keyPair();
    const trust = { jwks: [{ ...publicJwkOf(k1.publicKey), kid: 'k1' }] };
    new TokenVerifier(trust).replaceJwks([]);
    assert.equal(new TokenVerifier(trust).verify(kidToken(k1.privateKey, 'k1'), NOW).kid, 'k1');
  });

  test('verifyAsync reloads once on an unknown kid and looks again only when the sets changed', async () => {
    const k2 = keyPair();
    const t2 = kidToken(k2.privateKey, 'k2');
    let calls = 0;
    const v = new TokenVerifier({ jwks: [] });
    v.setUnknownKidHook(async () => {
      calls++;
      return false; // nothing new at the identity provider
    });
    await assert.rejects(v.verifyAsync(t2, NOW), { check: 'token.kid' });
    assert.equal(calls, 1);
    v.setUnknownKidHook(async () => {
      calls++;
      v.replaceJwks([{ ...publicJwkOf(k2.publicKey), kid: 'k2' }]);
      return true;
    });
    assert.equal((await v.verifyAsync(t2, NOW)).kid, 'k2');
    assert.equal(calls, 2);
    // A known kid, a bad signature or a token without kid never triggers a reload.
    assert.equal((await v.verifyAsync(t2, NOW)).kid, 'k2');
    const [h, p, s] = t2.split('.');
    const sig = Buffer.from(s!, 'base64url');
    sig[3] ^= 1;
    await assert.rejects(v.verifyAsync(`${h}.${p}.${sig.toString('base64url')}`, NOW), { check: 'token.signature' });
    await assert.rejects(v.verifyAsync('a.b', NOW), { check: 'token.format' });
    assert.equal(calls, 2);
  });

  test('verifyAsync refuses a kid the reload still does not know, and a hook can be cleared', async () => {
    const k3 = keyPair();
    const t3 = kidToken(k3.privateKey, 'k3');
    const v = new TokenVerifier({ jwks: [] });
    let calls = 0;
    v.setUnknownKidHook(async () => {
      calls++;
      v.replaceJwks([{ ...publicJwkOf(keyPair().publicKey), kid: 'other' }]);
      return true;
    });
    await assert.rejects(v.verifyAsync(t3, NOW), { check: 'token.kid' });
    assert.equal(calls, 1); // one reload per request, no loop
    v.setUnknownKidHook(undefined);
    await assert.rejects(v.verifyAsync(t3, NOW), { check: 'token.kid' });
    assert.equal(calls, 1);
  });
});
