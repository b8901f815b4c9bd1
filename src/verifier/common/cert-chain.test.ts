import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture, fixtureText } from '../../../test/support/fixtures.js';
import { verifyCertChain } from './cert-chain.js';
import { parseCertificate, parsePemCertificates } from './x509.js';

const [ask, ark, asvk] = parsePemCertificates(fixtureText('snp/roots/milan_ask_ark_asvk.pem')) as [never, never, never];
const [genoaAsk, genoaArk] = parsePemCertificates(fixtureText('snp/roots/genoa_ask_ark_asvk.pem')) as [never, never];
const vcek = parseCertificate(fixture('snp/test-vcek.der'));
const vlek = parseCertificate(fixture('snp/test-vlek.der'));
const at = new Date('2025-06-01T00:00:00Z');

describe('verifyCertChain', () => {
  test('accepts ARK → ASK → VCEK and ARK → ASVK → VLEK for Milan', () => {
    assert.deepEqual(verifyCertChain([vcek, ask, ark], at), { ok: true });
    assert.deepEqual(verifyCertChain([vlek, asvk, ark], at), { ok: true });
  });

  test('rejects a VCEK under the ASVK and a Milan VCEK under the Genoa roots', () => {
    assert.equal(verifyCertChain([vcek, asvk, ark], at).ok, false);
    const r = verifyCertChain([vcek, genoaAsk, genoaArk], at);
    assert.equal(r.ok, false);
  });

  test('names an expired VLEK, and accepts it as of a date inside its validity', () => {
    assert.deepEqual(verifyCertChain([vlek, asvk, ark], new Date('2026-01-01T00:00:00Z')), { ok: false, index: 0, reason: 'expired', subject: 'SEV-VLEK' });
    assert.deepEqual(verifyCertChain([vlek, asvk, ark], new Date('2025-01-01T00:00:00Z')), { ok: true });
  });

  test('rejects a certificate whose signature byte was flipped even after the good one was cached', () => {
    assert.deepEqual(verifyCertChain([vcek, ask, ark], at), { ok: true });
    const der = new Uint8Array(vcek.der);
    der[der.length - 10]! ^= 1;
    const bad = parseCertificate(der);
    assert.deepEqual(verifyCertChain([bad, ask, ark], at), { ok: false, index: 0, reason: 'signature', subject: 'SEV-VCEK' });
  });
});
