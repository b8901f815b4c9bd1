import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isCocoError } from '../core/index.js';
import { fixture, fixtureJson } from '../../test/support/fixtures.js';
import { parseSnpEvidence, parseTdxEvidence } from '../verifier/index.js';
import { evidenceFromFile, looksLikeJson } from './evidence-input.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('looksLikeJson', () => {
  test('sees an object after blanks and a UTF-8 BOM, and never a real quote or report', () => {
    assert.equal(looksLikeJson(enc(' \r\n\t{"quote":""}')), true);
    assert.equal(looksLikeJson(Uint8Array.of(0xef, 0xbb, 0xbf, 0x7b, 0x7d)), true);
    assert.equal(looksLikeJson(enc('[1]')), false);
    assert.equal(looksLikeJson(new Uint8Array(0)), false);
    for (const f of ['tdx/tdx_quote_4.dat', 'tdx/tdx_quote_5.dat', 'tdx/tdx_quote_6.dat', 'snp/test-report.bin', 'snp/test-vlek-report.bin']) {
      assert.equal(looksLikeJson(fixture(f)), false, f);
    }
  });
});

describe('evidenceFromFile', () => {
  test('wraps a raw TD quote (and CCEL) into the evidence JSON the verifier parses back to the same bytes', () => {
    const quote = fixture('tdx/tdx_quote_6.dat');
    const log = fixture('eventlog/CCEL_data');
    const ev = parseTdxEvidence(evidenceFromFile('tdx', quote, 'q', { eventLog: log }));
    assert.deepEqual(ev.quote, quote);
    assert.deepEqual(ev.ccEventLog, log);
    assert.equal((evidenceFromFile('tdx', quote, 'q') as { cc_eventlog: unknown }).cc_eventlog, null);
  });

  test('wraps a raw SNP report with its VLEK, and with none leaves the certificate table null', () => {
    const report = fixture('snp/test-vlek-report.bin');
    const ev = parseSnpEvidence(evidenceFromFile('snp', report, 'r', { vek: fixture('snp/test-vlek.der') }));
    assert.deepEqual(ev.reportBytes, report);
    assert.equal(ev.certChain?.[0]?.certType, 'VLEK');
    assert.equal(parseSnpEvidence(evidenceFromFile('snp', report, 'r')).certChain, null);
  });

  test('passes evidence JSON through untouched', () => {
    const json = fixtureJson('snp/genoa-evidence.json');
    assert.deepEqual(evidenceFromFile('snp', enc(JSON.stringify(json)), 'e'), json);
  });

  test('names the error for invalid UTF-8, a bad certificate, wrong sizes and misplaced extras', () => {
    assert.throws(() => evidenceFromFile('tdx', Uint8Array.of(0x7b, 0xff, 0x7d), 'f'), { code: 'ERR_MALFORMED_INPUT', message: /UTF-8/ });
    assert.throws(() => evidenceFromFile('snp', fixture('snp/test-report.bin'), 'r', { vek: Uint8Array.of(0x30, 0x03, 1, 2) }), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => evidenceFromFile('snp', fixture('snp/test-report.bin').subarray(1), 'r'), { code: 'ERR_MALFORMED_INPUT', message: /1183 bytes/ });
    assert.throws(() => evidenceFromFile('tdx', fixture('tdx/tdx_quote_6.dat'), 'q', { vek: fixture('snp/test-vlek.der') }), { code: 'ERR_UNSUPPORTED' });
    assert.throws(() => evidenceFromFile('snp', enc('{}'), 'e', { eventLog: Uint8Array.of(1) }), { code: 'ERR_UNSUPPORTED' });
    assert.throws(() => evidenceFromFile('tpm', fixture('snp/test-report.bin'), 'r'), { code: 'ERR_UNSUPPORTED' });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"quote":""}', 'utf16le')]);
    assert.throws(() => evidenceFromFile('tdx', utf16, 'e'), { code: 'ERR_MALFORMED_INPUT', message: /UTF-16/ });
  });

  test('any bytes either become evidence or raise a typed error', () => {
    const tees = ['tdx', 'snp', 'tpm'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...tees), fc.oneof(fc.uint8Array({ maxLength: 1300 }), fc.uint8Array({ minLength: 1184, maxLength: 1184 }), fc.string().map(enc)), (tee, bytes) => {
        try {
          evidenceFromFile(tee, bytes, 'f');
        } catch (e) {
          assert.ok(isCocoError(e), String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});
