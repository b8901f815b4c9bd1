import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fixture, fixtureText } from '../../../test/support/fixtures.js';
import { startSwtpm } from '../../../test/support/swtpm.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { digest, fromBase64Url, fromHex, toHex } from '../../core/index.js';
import { AZURE_AK_HANDLE, HCL_REPORT_NV_INDEX, REPORT_DATA_NV_INDEX, azSnpVtpmAttester, azTdxVtpmAttester, hclReportType, toBase64UrlPadded, type ImdsFetch } from './az-vtpm.js';
import { parseAzSnpVtpmEvidence, parseTpmsAttest } from '../../verifier/index.js';
import { nvDefine, nvRead, nvWrite, readPublic, parseRsaPublic } from './tpm/commands.js';
import { openTpm, type TpmTransport } from './tpm/transport.js';

const skip = requireTools('swtpm');
// swtpm limits an NV index to 2048 bytes; the head of the real HCL report (header, hardware report,
// IGVM request data) fits and is what the attester reads through.
const HCL = fixture('az-snp-vtpm/hcl-report.bin').subarray(0, 2048);
const TD_QUOTE = fixture('az-tdx-vtpm/td-quote.bin');

function fakeImds(seen: Array<{ url: string; body?: string | undefined; headers: Record<string, string> }>): ImdsFetch {
  return async (url, init) => {
    seen.push({ url, body: init.body, headers: init.headers });
    if (url.endsWith('/THIM/amd/certification')) {
      return new Response(JSON.stringify({ vcekCert: fixtureText('az-snp-vtpm/vcek.pem'), certificateChain: '' }), { status: 200 });
    }
    if (url.endsWith('/acc/tdquote')) return new Response(JSON.stringify({ quote: Buffer.from(TD_QUOTE).toString('base64url') }), { status: 200 });
    return new Response('', { status: 404 });
  };
}

describe('Azure vTPM attesters (swtpm)', { skip }, () => {
  let tpm: { spec: string; stop: () => Promise<void> };
  let t: TpmTransport;
  before(async () => {
    tpm = await startSwtpm();
    t = await openTpm(tpm.spec);
    // The HCL report index is owner-read only (as `tpm2_nvread -C o` on Azure); the report-data one uses its own auth.
    await nvDefine(t, HCL_REPORT_NV_INDEX, HCL.length, 'owner');
    await nvWrite(t, HCL_REPORT_NV_INDEX, HCL);
    await nvDefine(t, REPORT_DATA_NV_INDEX, 64);
  });
  after(async () => {
    await t?.close();
    await tpm?.stop();
  });

  test('az-snp-vtpm: writes report data to NV, returns v2 evidence with the HCL report, quote and IMDS VCEK', async () => {
    const seen: Array<{ url: string; headers: Record<string, string> }> = [];
    const a = await azSnpVtpmAttester({ transport: t, imdsFetch: fakeImds(seen) });
    const rd = digest('sha384', Uint8Array.of(1));
    const ev = (await a.getEvidence(rd)) as Record<string, any>;
    assert.deepEqual(Object.keys(ev), ['version', 'tpm_quote', 'hcl_report', 'vcek']);
    assert.equal(ev.version, 2);
    assert.equal(toHex((await nvRead(t, REPORT_DATA_NV_INDEX)).subarray(0, 48)), toHex(rd));
    assert.deepEqual(fromBase64Url(ev.hcl_report), HCL);
    assert.match(ev.hcl_report, /^[A-Za-z0-9_-]+=*$/);
    assert.equal(seen[0]!.headers.Metadata, 'true');
    const der = fromBase64Url(ev.vcek);
    assert.equal(der[0], 0x30);
    assert.equal(ev.tpm_quote.pcrs.length, 24);
    const ak = parseRsaPublic((await readPublic(t, AZURE_AK_HANDLE))!);
    const key = createPublicKey({ key: Buffer.from(ak.spki), format: 'der', type: 'spki' });
    assert.ok(verify('sha256', fromHex(ev.tpm_quote.message), key, fromHex(ev.tpm_quote.signature)));
    assert.ok(toHex(fromHex(ev.tpm_quote.message)).includes(toHex(rd)), 'the quote carries the report data as qualifying data');
    const parsed = parseAzSnpVtpmEvidence(ev);
    assert.equal(parsed.version, 2);
    assert.deepEqual(parsed.hclReport, HCL);
    assert.equal(parseTpmsAttest(parsed.quote.message).extraData.length, 48);
  });

  test('az-tdx-vtpm: exchanges the TD report for a TD quote at IMDS', async () => {
    const seen: Array<{ url: string; body?: string | undefined; headers: Record<string, string> }> = [];
    const a = await azTdxVtpmAttester({ transport: t, imdsFetch: fakeImds(seen) });
    const ev = (await a.getEvidence(new Uint8Array(48))) as Record<string, any>;
    assert.deepEqual(Object.keys(ev), ['version', 'tpm_quote', 'hcl_report', 'td_quote']);
    assert.deepEqual(fromBase64Url(ev.td_quote), TD_QUOTE);
    const sent = JSON.parse(seen[0]!.body!) as { report: string };
    assert.deepEqual(fromBase64Url(sent.report), HCL.subarray(32, 32 + 1024));
  });
});

describe('hclReportType / toBase64UrlPadded', () => {
  test('reads the report type of the real SNP and TDX HCL reports', () => {
    assert.equal(hclReportType(fixture('az-snp-vtpm/hcl-report.bin')), 'snp');
    assert.equal(hclReportType(fixture('az-tdx-vtpm/hcl-report.bin')), 'tdx');
    assert.throws(() => hclReportType(new Uint8Array(100)), { code: 'ERR_MALFORMED_INPUT' });
  });

  test('keeps padding as serde_with Base64<UrlSafe> does', () => {
    assert.equal(toBase64UrlPadded(Uint8Array.of(0xde, 0xad, 0xbe, 0xef)), '3q2-7w==');
  });
});
