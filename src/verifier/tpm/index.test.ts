import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, VerificationFailed, concatBytes, fromBase64, fromHex, sha256, toBase64 } from '../../core/index.js';
import { fixtureJson } from '../../../test/support/fixtures.js';
import { TPM_ALG, encodeTpmsAttest } from '../common/tpm/attest.js';
import { encodeRsassaSignature } from '../common/tpm/signature.js';
import { encodeTpmEvidence } from './evidence.js';
import { tpmVerifier } from './index.js';

type Json = Record<string, any>;
const fixtureEv = fixtureJson<Json>('tpm/tpm_evidence.json');
const golden = JSON.parse(readFileSync(new URL('./testdata/tpm_evidence.claims.json', import.meta.url), 'utf8')) as Json;
const NOW = new Date('2026-01-01T00:00:00Z');
const verifier = tpmVerifier({});
const FIXTURE_RD = fromHex('a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537bea393ef0e41a18b3569ab678f1497fbc5c120');

async function failsWith(p: Promise<unknown>, check: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerificationFailed, String(e));
    assert.equal(e.check, check, e.message);
    return true;
  });
}

/** A software "TPM": an RSA AK signing a quote over 24 PCRs with the given nonce. */
function makeEvidence(nonce: Uint8Array, pcr8: Uint8Array = new Uint8Array(32)) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pcrs = Array.from({ length: 24 }, (_, i) => (i === 8 ? pcr8 : new Uint8Array(32).fill(i)));
  const message = encodeTpmsAttest({
    qualifiedSigner: new Uint8Array(34),
    extraData: nonce,
    clock: { clock: 1n, resetCount: 0, restartCount: 0, safe: true },
    firmwareVersion: 0n,
    pcrSelections: [{ hashAlg: TPM_ALG.SHA256, pcrs: Array.from({ length: 24 }, (_, i) => i) }],
    pcrDigest: sha256(concatBytes(...pcrs)),
  });
  const signature = encodeRsassaSignature(new Uint8Array(sign('sha256', message, privateKey)));
  return encodeTpmEvidence({ akPublicDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), message, signature, pcrs });
}

describe('tpmVerifier.evaluate', () => {
  test('verifies the fixture quote and returns upstream claims', async () => {
    const r = await verifier.evaluate(fixtureEv, {}, NOW);
    assert.deepEqual(r.claims, golden);
    assert.equal(r.claims.ak_public, fixtureEv.ak_public);
    assert.equal((r.claims.report_data as string).length, 128);
    assert.equal((r.claims.init_data as string).length, 64);
  });

  test('accepts the fixture nonce (a 48-byte digest the attester zero-padded) and rejects another', async () => {
    const r = await verifier.evaluate(fixtureEv, { reportData: FIXTURE_RD }, NOW);
    assert.equal(r.checks.at(-1)?.id, 'tpm.nonce');
    const wrong = new Uint8Array(FIXTURE_RD);
    wrong[0]! ^= 1;
    await failsWith(verifier.evaluate(fixtureEv, { reportData: wrong }, NOW), 'tpm.nonce');
  });

  test('compares a 32-byte nonce with the report data truncated to 32 bytes, as upstream', async () => {
    const rd = new Uint8Array(48).fill(9);
    const ev = makeEvidence(rd.subarray(0, 32));
    await verifier.evaluate(ev, { reportData: rd }, NOW);
    await failsWith(verifier.evaluate(ev, { reportData: new Uint8Array(48).fill(8) }, NOW), 'tpm.nonce');
  });

  test('checks PCR 8 against the init-data digest', async () => {
    const digest = new Uint8Array(32).fill(5);
    const ev = makeEvidence(new Uint8Array(32), new Uint8Array(sha256(concatBytes(new Uint8Array(32), digest))));
    const r = await verifier.evaluate(ev, { initDataDigest: digest }, NOW);
    assert.equal(r.checks.at(-1)?.id, 'tpm.init_data');
    await failsWith(verifier.evaluate(ev, { initDataDigest: new Uint8Array(32).fill(6) }, NOW), 'tpm.init_data');
  });

  test('rejects the quote under another AK (wrong AK)', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    await failsWith(verifier.evaluate({ ...fixtureEv, ak_public: toBase64(new Uint8Array(other)) }, {}, NOW), 'tpm.quote.signature');
  });

  test('rejects a PCR value the quote digest does not cover', async () => {
    const e = structuredClone(fixtureEv);
    e.tpm_quote.pcrs[10] = 'ff'.repeat(32);
    await failsWith(verifier.evaluate(e, {}, NOW), 'tpm.quote.pcr_digest');
  });

  test('rejects a message with a flipped byte', async () => {
    const e = structuredClone(fixtureEv);
    const m = fromBase64(e.tpm_quote.message);
    m[20]! ^= 1;
    e.tpm_quote.message = toBase64(m);
    await failsWith(verifier.evaluate(e, {}, NOW), 'tpm.quote.signature');
  });

  test('rejects malformed evidence with MalformedInput', async () => {
    const bad: Json[] = [
      { ...fixtureEv, ak_public: 'AAAA' },
      { ...fixtureEv, ak_public: 5 },
      { ...fixtureEv, tpm_quote: { ...fixtureEv.tpm_quote, pcrs: fixtureEv.tpm_quote.pcrs.slice(2) } },
      { ...fixtureEv, tpm_quote: { ...fixtureEv.tpm_quote, signature: 'AAEC' } },
      { ...fixtureEv, tpm_quote: { ...fixtureEv.tpm_quote, message: '%%' } },
      { tpm_quote: fixtureEv.tpm_quote },
    ];
    for (const e of bad) await assert.rejects(verifier.evaluate(e, {}, NOW), MalformedInput);
  });

  test('never throws anything but MalformedInput when an evidence field is replaced by random JSON', async () => {
    const { parseTpmEvidence } = await import('./evidence.js');
    fc.assert(
      fc.property(fc.constantFrom('ak_public', 'tpm_quote'), fc.jsonValue(), (k, v) => {
        try {
          parseTpmEvidence({ ...fixtureEv, [k]: v });
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a flipped byte of the quote message or signature always gives a typed error', async () => {
    const msg = fromBase64(fixtureEv.tpm_quote.message);
    const sig = fromBase64(fixtureEv.tpm_quote.signature);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (inMsg, n, x) => {
        const e = structuredClone(fixtureEv);
        const b = new Uint8Array(inMsg ? msg : sig);
        b[n % b.length]! ^= x;
        e.tpm_quote[inMsg ? 'message' : 'signature'] = toBase64(b);
        await assert.rejects(verifier.evaluate(e, {}, NOW), (err: unknown) => err instanceof VerificationFailed || err instanceof MalformedInput);
      }),
      { numRuns: 200 },
    );
  });
});
