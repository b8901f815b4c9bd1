import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fixtureJson } from '../../test/support/fixtures.js';
import { toBase64Url, utf8 } from '../core/index.js';
import {
  parseSealedSecret,
  parseSecretPayload,
  parseSigningJwk,
  parseUnsignedSealedSecret,
  secretPayloadJson,
  signSealedSecret,
  signingKeyFromJwk,
  verifySealedSecret,
  type VaultSecret,
} from './sealed-secret.js';

const vault: VaultSecret = {
  version: '0.1.0',
  type: 'vault',
  name: 'kbs:///default/sealed/one',
  provider: 'kbs',
  provider_settings: {},
  annotations: {},
};

describe('parseSecretPayload', () => {
  for (const name of ['vault-1.json', 'vault-2.json', 'envelope-1.json']) {
    test(`parses upstream fixture ${name} and serializes it back to the same object`, () => {
      const raw = fixtureJson(`guest/sealed-secret/${name}`);
      const p = parseSecretPayload(raw);
      assert.deepEqual(secretPayloadJson(p), raw);
    });
  }

  test('rejects a wrong version, an unknown type, an unknown wrap type and wrong member types', () => {
    assert.throws(() => parseSecretPayload({ ...vault, version: '0.2.0' }), { code: 'ERR_UNSUPPORTED' });
    assert.throws(() => parseSecretPayload({ ...vault, type: 'other' }), { where: 'secret.type' });
    assert.throws(() => parseSecretPayload({ ...fixtureJson<object>('guest/sealed-secret/envelope-1.json'), wrap_type: 'A128GCM' }), {
      code: 'ERR_UNSUPPORTED',
    });
    assert.throws(() => parseSecretPayload({ ...vault, name: 7 }), { where: 'secret.name' });
    assert.throws(() => parseSecretPayload({ ...vault, annotations: [] }), { where: 'secret.annotations' });
    assert.throws(() => parseSecretPayload('vault'), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('signSealedSecret / verifySealedSecret', () => {
  const jwk = fixtureJson<Record<string, unknown>>('guest/sealed-secret/test-key.json');
  const wrongJwk = fixtureJson<Record<string, unknown>>('guest/sealed-secret/test-key-2.json');
  const key = signingKeyFromJwk(jwk);

  test('a secret signed with the upstream test key verifies with its public JWK', () => {
    const text = signSealedSecret(vault, key, 'test-key');
    assert.ok(text.startsWith('sealed.'));
    const parsed = parseSealedSecret(text);
    assert.deepEqual(parsed.header, { alg: 'ES256', kid: 'test-key' });
    assert.deepEqual(verifySealedSecret(parsed, parseSigningJwk(jwk)), vault);
  });

  test('refuses a secret verified with the wrong key', () => {
    const parsed = parseSealedSecret(signSealedSecret(vault, key, 'test-key'));
    assert.throws(() => verifySealedSecret(parsed, parseSigningJwk(wrongJwk)), { check: 'sealed_secret.signature' });
  });

  test('refuses a secret whose payload was swapped after signing', () => {
    const text = signSealedSecret(vault, key, 'test-key');
    const [pre, h, , s] = text.split('.');
    const other = toBase64Url(utf8(JSON.stringify({ ...vault, name: 'kbs:///default/sealed/two' })));
    const parsed = parseSealedSecret(`${pre}.${h}.${other}.${s}`);
    assert.throws(() => verifySealedSecret(parsed, parseSigningJwk(jwk)), { check: 'sealed_secret.signature' });
  });

  test('refuses a signature with one flipped byte', () => {
    const parsed = parseSealedSecret(signSealedSecret(vault, key, 'test-key'));
    parsed.signature[10]! ^= 1;
    assert.throws(() => verifySealedSecret(parsed, parseSigningJwk(jwk)), { check: 'sealed_secret.signature' });
  });

  test('refuses non-ES256 headers, missing prefix, wrong part counts and short signatures', () => {
    const text = signSealedSecret(vault, key, 'k');
    const [, , p, s] = text.split('.');
    const hs256 = toBase64Url(utf8('{"alg":"HS256","kid":"k"}'));
    assert.throws(() => parseSealedSecret(`sealed.${hs256}.${p}.${s}`), { code: 'ERR_UNSUPPORTED' });
    assert.throws(() => parseSealedSecret(text.slice('sealed.'.length)), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseSealedSecret(`${text}.extra`), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseSealedSecret(text.slice(0, -10)), { where: 'sealed-secret.signature' });
    const noKid = toBase64Url(utf8('{"alg":"ES256"}'));
    assert.throws(() => parseSealedSecret(`sealed.${noKid}.${p}.${s}`), { where: 'sealed-secret.header.kid' });
  });

  test('only accepts P-256 verification keys', () => {
    assert.throws(() => parseSigningJwk({ kty: 'EC', crv: 'P-384', x: 'a', y: 'b' }), { code: 'ERR_UNSUPPORTED' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.throws(() => signSealedSecret(vault, rsa, 'k'), TypeError);
  });
});

describe('parseUnsignedSealedSecret', () => {
  test('reads the legacy fake-header form used with skip_sealed_secret_verification', () => {
    const payload = toBase64Url(utf8(JSON.stringify(secretPayloadJson(vault))));
    assert.deepEqual(parseUnsignedSealedSecret(`sealed.fakejwsheader.${payload}.fakesignature`), vault);
    assert.throws(() => parseUnsignedSealedSecret(`sealed.${payload}.fakesignature`), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('parseSealedSecret (fuzz)', () => {
  test('never throws anything but a CocoError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        try {
          parseSealedSecret(`sealed.${a}.${b}.${c}`);
        } catch (err) {
          assert.ok(['ERR_MALFORMED_INPUT', 'ERR_UNSUPPORTED'].includes((err as { code?: string }).code ?? ''), String(err));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a byte flipped anywhere in a signed secret never verifies', () => {
    const jwk = fixtureJson<Record<string, unknown>>('guest/sealed-secret/test-key.json');
    const text = signSealedSecret(vault, signingKeyFromJwk(jwk), 'test-key');
    fc.assert(
      fc.property(fc.integer({ min: 'sealed.'.length, max: text.length - 1 }), fc.integer({ min: 1, max: 127 }), (i, x) => {
        const flipped = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ x) + text.slice(i + 1);
        let parsed;
        try {
          parsed = parseSealedSecret(flipped);
          verifySealedSecret(parsed, parseSigningJwk(jwk));
        } catch {
          return;
        }
        // Only the unused low bits of the signature's last base64url character can change undetected.
        const orig = parseSealedSecret(text);
        assert.equal(parsed.signingInput, orig.signingInput);
        assert.deepEqual(parsed.signature, orig.signature);
      }),
      { numRuns: 200 },
    );
  });
});
