import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, VerificationFailed, fromBase64Url, toBase64Url, toHex, utf8 } from '../../core/index.js';
import { fixture, fixtureJson } from '../../../test/support/fixtures.js';
import { checkQuote } from '../common/az-vtpm.js';
import { CheckTrace } from '../common/check-trace.js';
import type { TdxCollateral } from '../verifier.js';
import { encodeAzTdxVtpmEvidence, parseAzTdxVtpmEvidence } from './evidence.js';
import { azTdxVtpmVerifier } from './index.js';

type Json = Record<string, any>;
const NOW = new Date('2026-01-01T00:00:00Z');
const CHALLENGE = utf8('challenge');
const v0 = fixtureJson<Json>('az-tdx-vtpm/evidence-v0.json');
const v1 = fixtureJson<Json>('az-tdx-vtpm/evidence-v1.json');
const golden = JSON.parse(readFileSync(new URL('./testdata/evidence-v0.claims.json', import.meta.url), 'utf8')) as Json;
const verifier = azTdxVtpmVerifier({}, { collateral: 'optional' });

async function failsWith(p: Promise<unknown>, check: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerificationFailed, String(e));
    assert.equal(e.check, check, e.message);
    return true;
  });
}

function withBytes(ev: Json, field: 'hcl_report' | 'td_quote', offset: number, f: (b: number) => number): Json {
  const b = fromBase64Url(ev[field]);
  b[offset] = f(b[offset]!);
  return { ...structuredClone(ev), [field]: toBase64Url(b) };
}

describe('azTdxVtpmVerifier.evaluate', () => {
  test('verifies v0 and v1 evidence with nonce "challenge" to the documented claims', async () => {
    for (const ev of [v0, v1]) {
      const r = await verifier.evaluate(ev, { reportData: CHALLENGE }, NOW);
      assert.equal(r.claims.report_data, '6368616c6c656e6765');
      assert.equal((r.claims.tpm as Json).pcr00, '782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273');
      assert.equal(r.claims.tcb_status, 'Unavailable');
      assert.deepEqual(r.claims, golden);
    }
  });

  test('verifies the TD quote as tdx, then the HCL and vTPM checks, in that order', async () => {
    const r = await verifier.evaluate(v1, { reportData: CHALLENGE }, NOW);
    assert.deepEqual(
      r.checks.map((c) => c.id),
      [
        'az.hcl.report_type',
        'tdx.quote.type',
        'tdx.pck.chain',
        'tdx.pck.chain.validity',
        'tdx.qe_report.signature',
        'tdx.qe_report.binding',
        'tdx.quote.signature',
        'az.hcl.td_report',
        'az.hcl.var_data',
        'az.hcl.ak_pub',
        'az.tpm.quote.signature',
        'az.tpm.quote.parse',
        'az.tpm.quote.pcr_selection',
        'az.tpm.quote.pcr_digest',
        'az.tpm.nonce',
      ],
    );
    assert.ok(r.checks.every((c) => c.ok));
  });

  test('requires TDX collateral by default and asks the source for the quote FMSPC', async () => {
    const asked: string[] = [];
    const env = { tdxCollateral: { getCollateral: async (fmspc: string, ca: string): Promise<TdxCollateral | undefined> => void asked.push(`${fmspc}/${ca}`) } };
    await failsWith(azTdxVtpmVerifier(env).evaluate(v1, { reportData: CHALLENGE }, NOW), 'tdx.collateral');
    assert.deepEqual(asked, ['00806f050000/platform']);
  });

  test('rejects a tampered HCL variable data byte (az.hcl.var_data)', async () => {
    await failsWith(verifier.evaluate(withBytes(v1, 'hcl_report', 0x880, (b) => b + 1), { reportData: CHALLENGE }, NOW), 'az.hcl.var_data');
  });

  test('rejects an HCL report whose TD report is not the quoted one (az.hcl.td_report)', async () => {
    await failsWith(verifier.evaluate(withBytes(v1, 'hcl_report', 0x20 + 128, (b) => b ^ 1), { reportData: CHALLENGE }, NOW), 'az.hcl.td_report');
  });

  test('rejects an HCL report holding an SNP report (az.hcl.report_type)', async () => {
    const snpHcl = fixture('az-snp-vtpm/hcl-report.bin');
    await failsWith(verifier.evaluate({ ...v1, hcl_report: toBase64Url(snpHcl) }, { reportData: CHALLENGE }, NOW), 'az.hcl.report_type');
  });

  test('rejects a TD quote with one flipped body byte (tdx.quote.signature)', async () => {
    await failsWith(verifier.evaluate(withBytes(v1, 'td_quote', 48 + 100, (b) => b ^ 1), { reportData: CHALLENGE }, NOW), 'tdx.quote.signature');
  });

  test('rejects a flipped TPM quote signature (az.tpm.quote.signature)', async () => {
    const ev = structuredClone(v1);
    ev.tpm_quote.signature = (ev.tpm_quote.signature[0] === '0' ? '1' : '0') + ev.tpm_quote.signature.slice(1);
    await failsWith(verifier.evaluate(ev, { reportData: CHALLENGE }, NOW), 'az.tpm.quote.signature');
  });

  test('rejects a TPM quote checked against another attestation key', () => {
    const ev = parseAzTdxVtpmEvidence(v1);
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.throws(
      () => checkQuote(ev.quote, { akPub: publicKey }, new CheckTrace()),
      (e: unknown) => e instanceof VerificationFailed && e.check === 'az.tpm.quote.signature',
    );
  });

  test('rejects reported PCRs that do not match the quoted digest (az.tpm.quote.pcr_digest)', async () => {
    const ev = structuredClone(v1);
    ev.tpm_quote.pcrs[5] = 'ff'.repeat(32);
    await failsWith(verifier.evaluate(ev, { reportData: CHALLENGE }, NOW), 'az.tpm.quote.pcr_digest');
  });

  test('rejects a different nonce (az.tpm.nonce) and an init-data digest PCR 8 does not carry (az.tpm.init_data)', async () => {
    await failsWith(verifier.evaluate(v1, { reportData: utf8('challengf') }, NOW), 'az.tpm.nonce');
    await failsWith(verifier.evaluate(v1, { reportData: CHALLENGE, initDataDigest: new Uint8Array(32).fill(7) }, NOW), 'az.tpm.init_data');
  });

  test('checks the HCL user-data binding for v2 evidence (az.hcl.user_data)', async () => {
    await failsWith(verifier.evaluate({ ...v1, version: 2 }, { reportData: CHALLENGE }, NOW), 'az.hcl.user_data');
  });
});

describe('parseAzTdxVtpmEvidence', () => {
  test('reads v0 (byte arrays) and v1 (hex, base64url) to the same bytes', () => {
    const a = parseAzTdxVtpmEvidence(v0);
    const b = parseAzTdxVtpmEvidence(v1);
    assert.deepEqual(a.hclReport, b.hclReport);
    assert.deepEqual(a.tdQuote, b.tdQuote);
    assert.deepEqual(a.quote, b.quote);
    assert.deepEqual([a.version, b.version], [0, 1]);
  });

  test('round-trips through encodeAzTdxVtpmEvidence as v2', () => {
    const a = parseAzTdxVtpmEvidence(v1);
    const back = parseAzTdxVtpmEvidence(encodeAzTdxVtpmEvidence(a));
    assert.equal(back.version, 2);
    assert.equal(toHex(back.tdQuote), toHex(a.tdQuote));
  });

  test('rejects wrong versions, PCR counts and byte values as MalformedInput', () => {
    assert.throws(() => parseAzTdxVtpmEvidence({ ...v1, version: 3 }), MalformedInput);
    assert.throws(() => parseAzTdxVtpmEvidence({ ...v1, tpm_quote: { ...v1.tpm_quote, pcrs: v1.tpm_quote.pcrs.slice(1) } }), MalformedInput);
    assert.throws(() => parseAzTdxVtpmEvidence({ ...v0, hcl_report: [1, 256] }), MalformedInput);
  });

  test('never throws anything but MalformedInput for fields replaced by arbitrary JSON', () => {
    const keys = ['version', 'tpm_quote', 'hcl_report', 'td_quote'];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 }), (k, value) => {
        try {
          parseAzTdxVtpmEvidence({ ...v1, [k]: value });
        } catch (e) {
          if (!(e instanceof MalformedInput)) throw e;
        }
      }),
    );
  });
});
