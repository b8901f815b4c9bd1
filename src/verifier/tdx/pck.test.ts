import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, toHex } from '../../core/index.js';
import { fixture } from '../../../test/support/fixtures.js';
import { findExtension, parsePlatformInfo, parseSgxExtension, splitPemCertificates } from './pck.js';
import { parseTdQuote } from './quote.js';

const chainOf = (f: string) => splitPemCertificates(parseTdQuote(fixture(f)).pckChainPem);

describe('parsePlatformInfo', () => {
  test('reads FMSPC, CA type, TCB components and the platform instance id of tdx_quote_4', () => {
    const [leaf] = chainOf('tdx/tdx_quote_4.dat');
    const info = parsePlatformInfo(leaf!, 'Intel SGX PCK Platform CA');
    assert.equal(toHex(info.fmspc), '50806f000000');
    assert.equal(info.ca, 'platform');
    assert.equal(toHex(info.platformInstanceId!), '82548d228d94d5e204a95b354dc61a02');
    assert.deepEqual(info.tcbComponents, [5, 5, 13, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(info.pceSvn, 11);
    assert.equal(info.ppid.length, 16);
  });

  test('reads the FMSPC of tdx_quote_6 (the one tcbInfo.json is for)', () => {
    const [leaf] = chainOf('tdx/tdx_quote_6.dat');
    assert.equal(toHex(parsePlatformInfo(leaf!, 'Intel SGX PCK Platform CA').fmspc), '00a06d080000');
  });

  test('refuses a Platform CA leaf presented as a Processor CA leaf, and an unknown CA', () => {
    const [leaf] = chainOf('tdx/tdx_quote_4.dat');
    assert.throws(() => parsePlatformInfo(leaf!, 'Intel SGX PCK Processor CA'), /platform-only/);
    assert.throws(() => parsePlatformInfo(leaf!, 'Someone Else CA'), MalformedInput);
  });

  test('refuses a certificate without the SGX extension', () => {
    const [, , root] = chainOf('tdx/tdx_quote_4.dat');
    assert.throws(() => parsePlatformInfo(root!, 'Intel SGX PCK Platform CA'), /no SGX extension/);
  });

  test('never throws anything but MalformedInput on a corrupted SGX extension', () => {
    const [leaf] = chainOf('tdx/tdx_quote_4.dat');
    const ext = findExtension(leaf!, '1.2.840.113741.1.13.1')!;
    const start = Buffer.from(leaf!).indexOf(Buffer.from(ext));
    assert.ok(start > 0);
    fc.assert(
      fc.property(fc.nat(ext.length - 1), fc.integer({ min: 0, max: 255 }), (i, v) => {
        const b = leaf!.slice();
        b[start + i] = v;
        try {
          parsePlatformInfo(b, 'Intel SGX PCK Platform CA');
        } catch (e) {
          if (!(e instanceof MalformedInput)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseSgxExtension', () => {
  const [leaf] = chainOf('tdx/tdx_quote_4.dat');
  const ext = findExtension(leaf!, '1.2.840.113741.1.13.1')!;
  const base = parseSgxExtension(ext, 'platform');

  test('reads the extension value alone as parsePlatformInfo reads the certificate', () => {
    assert.deepEqual(base, parsePlatformInfo(leaf!, 'Intel SGX PCK Platform CA'));
  });

  test('rejects every truncation of the extension value', () => {
    for (let n = 0; n < ext.length; n++) assert.throws(() => parseSgxExtension(ext.subarray(0, n), 'platform'), MalformedInput, `length ${n}`);
  });

  test('a byte flip or truncation gives MalformedInput or a result, never another error', () => {
    fc.assert(
      fc.property(fc.nat(ext.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(ext.length), (i, x, cut) => {
        const b = ext.slice(0, Math.max(cut, i + 1));
        b[i]! ^= x;
        try {
          const info = parseSgxExtension(b, 'platform');
          assert.equal(info.tcbComponents.length, 16);
          assert.equal(info.fmspc.length, 6);
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('findExtension', () => {
  test('every truncation of a PCK leaf certificate is MalformedInput', () => {
    const [leaf] = chainOf('tdx/tdx_quote_4.dat');
    fc.assert(
      fc.property(fc.nat(leaf!.length - 1), (n) => {
        assert.throws(() => parsePlatformInfo(leaf!.subarray(0, n), 'Intel SGX PCK Platform CA'), MalformedInput);
      }),
      { numRuns: 200 },
    );
  });
});

describe('splitPemCertificates', () => {
  test('splits the three PCK chain certificates in order', () => {
    const certs = chainOf('tdx/tdx_quote_5.dat').map((d) => new X509Certificate(d));
    assert.deepEqual(
      certs.map((c) => /CN=([^\n]*)/.exec(c.subject)![1]),
      ['Intel SGX PCK Certificate', 'Intel SGX PCK Platform CA', 'Intel SGX Root CA'],
    );
  });
});
