import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, VerificationFailed, fromBase64Url, fromHex, toBase64Url, utf8 } from '../../core/index.js';
import { fixture, fixtureJson } from '../../../test/support/fixtures.js';
import { CheckTrace } from '../common/check-trace.js';
import { parseHclReport } from '../common/hcl.js';
import { checkReportSignature, parseSnpReport, parseVek } from '../snp/index.js';
import { azSnpVtpmVerifier } from './index.js';
import { checkInitData, checkQuote, checkUserData, readVarData } from '../common/az-vtpm.js';
import { checkVarDataBinding } from './verify.js';

type Json = Record<string, any>;
const NOW = new Date('2026-01-01T00:00:00Z');
const CHALLENGE = utf8('challenge');
const V2_RD = fromHex('982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef');
const GENOA_RD = fromHex('0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f2938ca05475f8b46094de6b64270ea35d950f');
const golden = (name: string) => JSON.parse(readFileSync(new URL(`./testdata/${name}.claims.json`, import.meta.url), 'utf8')) as Json;
const v0 = fixtureJson<Json>('az-snp-vtpm/evidence-v0.json');
const v1 = fixtureJson<Json>('az-snp-vtpm/evidence-v1.json');
const v2 = fixtureJson<Json>('az-snp-vtpm/evidence-v2.json');
const genoa = fixtureJson<Json>('az-snp-vtpm/evidence-genoa.json');
const verifier = azSnpVtpmVerifier({});

async function failsWith(p: Promise<unknown>, check: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerificationFailed, String(e));
    assert.equal(e.check, check, e.message);
    return true;
  });
}

/** Flip one byte of the base64url HCL report in v1/v2 evidence. */
function withHclByte(ev: Json, offset: number, f: (b: number) => number): Json {
  const hcl = fromBase64Url(ev.hcl_report);
  hcl[offset] = f(hcl[offset]!);
  return { ...structuredClone(ev), hcl_report: toBase64Url(hcl) };
}

describe('azSnpVtpmVerifier.evaluate', () => {
  test('verifies v0 and v1 evidence with nonce "challenge" to the documented claims', async () => {
    for (const ev of [v0, v1]) {
      const r = await verifier.evaluate(ev, { reportData: CHALLENGE }, NOW);
      assert.equal(r.claims.report_data, '6368616c6c656e6765');
      assert.equal((r.claims.tpm as Json).pcr00, 'e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced');
      assert.deepEqual(r.claims, golden('evidence-v0'));
    }
  });

  test('verifies v2 evidence including the HCL user-data binding', async () => {
    const r = await verifier.evaluate(v2, { reportData: V2_RD }, NOW);
    assert.equal(r.claims.report_data, '982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef');
    assert.equal((r.claims.tpm as Json).pcr00, '84275b2f4312cd4fc6cbe6b152ad3c3683e513d9f1e23c34fca160c8cca7a6a7');
    assert.equal(r.checks.at(-1)?.id, 'az.hcl.user_data');
    assert.deepEqual(r.claims, golden('evidence-v2'));
  });

  test('verifies Genoa v0 evidence against the Genoa roots', async () => {
    const r = await verifier.evaluate(genoa, { reportData: GENOA_RD }, NOW);
    assert.equal((r.claims.tpm as Json).pcr00, 'afd689d0bb1c5f36f023fbaf574135f555a28a10c1f6b938d2a25e70c7783338');
    assert.equal(r.checks.find((c) => c.id === 'az.snp.report.generation')?.actual, 'Genoa');
    assert.deepEqual(r.claims, golden('evidence-genoa'));
  });

  test('keeps upstream types: strings for policy and TCB, base64 measurement, 24 PCRs, no chip_id', async () => {
    const r = await verifier.evaluate(v1, { reportData: CHALLENGE }, NOW);
    assert.equal(r.claims.policy_debug_allowed, 'false');
    assert.equal(typeof r.claims.reported_tcb_snp, 'string');
    assert.match(r.claims.measurement as string, /^[A-Za-z0-9+/]{64}$/);
    assert.equal(Object.keys(r.claims.tpm as Json).length, 24);
    assert.equal(r.claims.chip_id, undefined);
  });

  test('rejects a wrong nonce', async () => {
    await failsWith(verifier.evaluate(v1, { reportData: utf8('challengf') }, NOW), 'az.tpm.nonce');
  });

  test('rejects a wrong init-data digest', async () => {
    await failsWith(verifier.evaluate(v1, { reportData: CHALLENGE, initDataDigest: new Uint8Array(32).fill(3) }, NOW), 'az.tpm.init_data');
  });

  test('rejects a tampered HCL variable data byte', async () => {
    await failsWith(verifier.evaluate(withHclByte(v1, 0x6e0, (b) => b + 1), { reportData: CHALLENGE }, NOW), 'az.hcl.var_data');
  });

  test('rejects a tampered hardware report byte', async () => {
    await failsWith(verifier.evaluate(withHclByte(v1, 0x20 + 0x90, (b) => b ^ 1), { reportData: CHALLENGE }, NOW), 'az.snp.report.signature');
  });

  test('rejects a PCR value that the quote does not cover', async () => {
    const e = structuredClone(v1);
    e.tpm_quote.pcrs[3] = '00'.repeat(32);
    await failsWith(verifier.evaluate(e, { reportData: CHALLENGE }, NOW), 'az.tpm.quote.pcr_digest');
  });

  test('rejects a quote with a flipped signature byte', async () => {
    const e = structuredClone(v1);
    const sig = fromHex(e.tpm_quote.signature);
    sig[10]! ^= 1;
    e.tpm_quote.signature = Buffer.from(sig).toString('hex');
    await failsWith(verifier.evaluate(e, { reportData: CHALLENGE }, NOW), 'az.tpm.quote.signature');
  });

  test('rejects a VCEK of another chip', async () => {
    const e = { ...structuredClone(v1), vcek: toBase64Url(parseVek(fixture('az-snp-vtpm/vcek-genoa.pem')).der) };
    await failsWith(verifier.evaluate(e, { reportData: CHALLENGE }, NOW), 'az.snp.cert_chain.signature');
  });

  test('rejects malformed evidence with MalformedInput', async () => {
    const bad: Json[] = [
      { ...v1, version: 3 },
      { ...v1, tpm_quote: { ...v1.tpm_quote, pcrs: v1.tpm_quote.pcrs.slice(1) } },
      { ...v1, tpm_quote: { ...v1.tpm_quote, pcrs: ['00', ...v1.tpm_quote.pcrs.slice(1)] } },
      { ...v1, hcl_report: '***' },
      { ...v0, report: 'x' },
      { ...v0, quote: { ...v0.quote, signature: [256] } },
    ];
    for (const e of bad) await assert.rejects(verifier.evaluate(e, { reportData: CHALLENGE }, NOW), MalformedInput);
  });

  test('never throws anything but MalformedInput when an evidence field is replaced by random JSON', async () => {
    const { parseAzSnpVtpmEvidence } = await import('./evidence.js');
    fc.assert(
      fc.property(fc.constantFrom(v0, v1, v2), fc.constantFrom('version', 'tpm_quote', 'hcl_report', 'vcek', 'quote', 'report'), fc.jsonValue(), (ev, k, v) => {
        try {
          parseAzSnpVtpmEvidence({ ...ev, [k]: v });
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a flipped HCL byte gives a typed error, or identical claims when nothing signed or parsed changed', async () => {
    const base = golden('evidence-v0');
    const len = fromBase64Url(v1.hcl_report).length;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: len - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        try {
          const r = await verifier.evaluate(withHclByte(v1, i, (b) => b ^ x), { reportData: CHALLENGE }, NOW);
          // Unused: header after the magic, the report's reserved tail after the signature,
          // request-data size/version, and the padding after the variable data.
          const unused = (i >= 4 && i < 0x20) || (i >= 0x20 + 0x330 && i < 0x4c0) || (i >= 0x4c0 && i < 0x4c8) || i >= 0x4d4 + 1110;
          assert.ok(unused, `offset 0x${i.toString(16)} verified after a flip`);
          assert.deepEqual(r.claims, base);
        } catch (e) {
          assert.ok(e instanceof VerificationFailed || e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('checks on the raw HCL report and TPM quote fixtures', () => {
  const hclBytes = fixture('az-snp-vtpm/hcl-report.bin');
  const q = fixtureJson<{ signature: string; message: string; pcrs: string[] }>('az-snp-vtpm/tpm-quote-v1.json');
  const quote = { signature: fromHex(q.signature), message: fromHex(q.message), pcrs: q.pcrs.map((p) => fromHex(p)) };

  test('the variable data is bound by the SNP report, and +1 at 0x6E0 breaks it', () => {
    checkVarDataBinding(parseHclReport(hclBytes), new CheckTrace());
    const b = new Uint8Array(hclBytes);
    b[0x6e0]! += 1;
    assert.throws(() => checkVarDataBinding(parseHclReport(b), new CheckTrace()), (e: VerificationFailed) => e.check === 'az.hcl.var_data');
  });

  test('the SNP report verifies with vcek.pem, and zeroing byte 0x1A6 breaks it', () => {
    const vcek = parseVek(fixture('az-snp-vtpm/vcek.pem'));
    const h = parseHclReport(hclBytes);
    checkReportSignature(h.hwReport, parseSnpReport(h.hwReport), vcek, new CheckTrace());
    const b = new Uint8Array(hclBytes);
    b[0x1a6] = 0;
    const t = parseHclReport(b);
    assert.throws(() => checkReportSignature(t.hwReport, parseSnpReport(t.hwReport), vcek, new CheckTrace()), (e: VerificationFailed) => e.check === 'snp.report.signature');
  });

  test('the quote is signed by HCLAkPub and carries the nonce "challenge"', () => {
    const t = new CheckTrace();
    const attest = checkQuote(quote, readVarData(parseHclReport(hclBytes), t), t);
    assert.deepEqual(attest.extraData, CHALLENGE);
  });

  test('a zeroed byte inside HCLAkPub leaves no usable AK', () => {
    const b = new Uint8Array(hclBytes);
    b[0x540] = 0;
    assert.throws(() => readVarData(parseHclReport(b), new CheckTrace()), (e: VerificationFailed) => e.check === 'az.hcl.ak_pub');
  });

  test('a quote checked against another AK fails the signature check', () => {
    const akPub = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    assert.throws(() => checkQuote(quote, { akPub }, new CheckTrace()), (e: VerificationFailed) => e.check === 'az.tpm.quote.signature');
  });

  test('PCR 8 is checked as SHA-256(zeros ‖ init-data digest) (upstream vector)', () => {
    const pcrs = quote.pcrs.slice();
    pcrs[8] = fromHex('bddaccb9c52249e97a31baea61b7d91be8221a16e703d92148d04fb8e9c1dfdd');
    const digest = fromHex('8505e4e25e50a27c5dc8147af88efbece627fbea55291911eff832d9ee127781');
    checkInitData(pcrs, digest, new CheckTrace());
    digest[0]! ^= 1;
    assert.throws(() => checkInitData(pcrs, digest, new CheckTrace()), (e: VerificationFailed) => e.check === 'az.tpm.init_data');
  });

  test('user-data that does not start with the report data fails (upstream "123abc" case)', () => {
    const hcl2 = parseHclReport(fromBase64Url(v2.hcl_report));
    const vars = readVarData(hcl2, new CheckTrace());
    checkUserData(vars, V2_RD, new CheckTrace());
    assert.throws(() => checkUserData(vars, fromHex('123abc'), new CheckTrace()), (e: VerificationFailed) => e.check === 'az.hcl.user_data');
  });
});
