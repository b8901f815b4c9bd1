import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput } from '../../core/index.js';
import { fixture, fixtureText } from '../../../test/support/fixtures.js';
import { isValidAt, parseCertificate, parseCertificateBytes, parsePemCertificates } from './x509.js';

const vcek = fixture('snp/test-vcek.der');

describe('parseCertificate', () => {
  test('reads names, validity and the AMD extensions of a real VCEK', () => {
    const c = parseCertificate(vcek);
    assert.equal(c.subjectCN, 'SEV-VCEK');
    assert.equal(c.issuerCN, 'SEV-Milan');
    assert.equal(c.notBefore.toISOString(), '2023-01-24T17:58:26.000Z');
    assert.equal(c.notAfter.toISOString(), '2030-01-24T17:58:26.000Z');
    assert.equal(c.extensions.get('1.3.6.1.4.1.3704.1.4')?.length, 64);
  });

  test('returns the cached object for the same bytes', () => {
    assert.equal(parseCertificate(new Uint8Array(vcek)), parseCertificate(vcek));
  });

  test('parses all three certificates of a roots PEM in order', () => {
    const certs = parsePemCertificates(fixtureText('snp/roots/genoa_ask_ark_asvk.pem'));
    assert.deepEqual(certs.map((c) => c.subjectCN), ['SEV-Genoa', 'ARK-Genoa', 'SEV-VLEK-Genoa']);
  });

  test('sniffs PEM versus DER', () => {
    assert.equal(parseCertificateBytes(fixture('az-snp-vtpm/vcek-genoa.pem')).subjectCN, 'SEV-VCEK');
    assert.equal(parseCertificateBytes(vcek).subjectCN, 'SEV-VCEK');
  });

  test('rejects a PEM text without certificates and every truncation of a DER certificate', () => {
    assert.throws(() => parsePemCertificates('hello'), MalformedInput);
    for (const n of [0, 1, 10, 100, 500, vcek.length - 1]) assert.throws(() => parseCertificate(vcek.subarray(0, n)), MalformedInput);
  });

  test('never throws anything but MalformedInput on random byte flips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: vcek.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const b = new Uint8Array(vcek);
        b[i]! ^= x;
        try {
          parseCertificate(b);
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('isValidAt', () => {
  test('is true inside the validity period and false before and after it', () => {
    const c = parseCertificate(fixture('snp/test-vlek.der'));
    assert.equal(isValidAt(c, new Date('2025-06-01T00:00:00Z')), true);
    assert.equal(isValidAt(c, new Date('2026-01-01T00:00:00Z')), false);
    assert.equal(isValidAt(c, new Date('2024-01-01T00:00:00Z')), false);
  });
});
