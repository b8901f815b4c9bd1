import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { fixture, fixtureJson } from '../../../test/support/fixtures.js';
import { parseCcEventLog } from '../common/eventlog/index.js';
import { commonName } from './chain.js';
import { tdAttributeFlags, toTdxClaims } from './claims.js';
import { parsePlatformInfo, splitPemCertificates } from './pck.js';
import { parseTdQuote } from './quote.js';

function platformOf(quoteFile: string) {
  const q = parseTdQuote(fixture(quoteFile));
  const [leaf, inter] = splitPemCertificates(q.pckChainPem);
  return { q, platform: parsePlatformInfo(leaf!, commonName(new X509Certificate(inter!))) };
}

describe('toTdxClaims', () => {
  test('gives exactly upstream parse_tdx_claims_expected.json for tdx_quote_4 + CCEL_data', () => {
    const { q, platform } = platformOf('tdx/tdx_quote_4.dat');
    const claims = toTdxClaims(q, parseCcEventLog(fixture('eventlog/CCEL_data')), platform);
    assert.deepEqual(JSON.parse(JSON.stringify(claims)), fixtureJson('tdx/parse_tdx_claims_expected.json'));
  });

  test('reports a v5 TDX 1.5 quote with type, size and the two TDX 1.5 body fields', () => {
    const { q, platform } = platformOf('tdx/tdx_quote_5.dat');
    const claims = toTdxClaims(q, undefined, platform) as { quote: Record<string, unknown> & { body: Record<string, string> } };
    assert.equal(claims.quote.type, '0300');
    assert.equal(claims.quote.size, '88020000');
    assert.equal(claims.quote.body.tee_tcb_svn2.length, 32);
    assert.equal(claims.quote.body.mr_servicetd.length, 96);
    assert.ok(claims.quote.body.mr_td!.startsWith('dfba221b'));
    assert.equal('uefi_event_logs' in claims, false);
  });

  test('reports mr_config_id of tdx_quote_6 as init_data', () => {
    const { q, platform } = platformOf('tdx/tdx_quote_6.dat');
    const claims = toTdxClaims(q, undefined, platform);
    assert.ok(String(claims.init_data).startsWith('889abf47'));
  });
});

describe('tdAttributeFlags', () => {
  test('decodes bits 0, 28, 30, 31 and 63 of the little-endian attributes', () => {
    const raw = new Uint8Array(8);
    new DataView(raw.buffer).setBigUint64(0, (1n << 63n) | (1n << 30n), true);
    assert.deepEqual(tdAttributeFlags(raw), { debug: false, septve_disable: false, protection_keys: true, key_locker: false, perfmon: true });
  });
});
