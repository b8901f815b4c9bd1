import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toHex } from '../core/index.js';
import { parseAttestationRequest, parseAuthRequest, primaryRuntimeData, runtimeDataDigest } from './rcar.js';

describe('parseAttestationRequest', () => {
  test('drops extra JWK members so the binding matches upstream', () => {
    const req = parseAttestationRequest({
      'runtime-data': { nonce: 'bm9uY2U=', 'tee-pubkey': { kty: 'EC', crv: 'P-256', alg: 'ECDH-ES+A256KW', x: 'AAAA', y: 'BBBB', use: 'enc' } },
      'tee-evidence': { primary_evidence: {}, additional_evidence: '' },
    });
    const rd = primaryRuntimeData(req['runtime-data'].nonce, req['runtime-data']['tee-pubkey'], '');
    assert.equal(
      toHex(runtimeDataDigest(rd, 'sha384')),
      'd20490d30e5f16cba693abc1ca3c31ed977d2722d0adf01a980972d16913dc38f103c1f12abf477df0523af2b12e4b43',
    );
  });

  test('rejects wrong types with the path that was wrong', () => {
    assert.throws(() => parseAttestationRequest({ 'runtime-data': { nonce: 5 } }), { where: 'runtime-data.nonce' });
    assert.throws(() => parseAttestationRequest([]), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(
      () => parseAttestationRequest({ 'runtime-data': { nonce: 'n', 'tee-pubkey': { kty: 'oct' } }, 'tee-evidence': {} }),
      { where: 'runtime-data.tee-pubkey.kty' },
    );
  });

  test('rejects an unknown TEE in an auth request', () => {
    assert.throws(() => parseAuthRequest({ version: '0.4.0', tee: 'nope' }), { code: 'ERR_MALFORMED_INPUT' });
  });
});
