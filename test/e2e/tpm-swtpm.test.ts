/**
 * A real (software) TPM end to end: swtpm + tpm2-tools create an RSA attestation key, extend PCR 8
 * with an init-data digest, and quote PCRs 0–23 with a nonce; the `tpm` verifier must accept the
 * evidence built with `encodeTpmEvidence` and reject it with a wrong nonce or init-data digest.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VerificationFailed } from '../../src/core/index.js';
import { createVerifier, encodeTpmEvidence, parseTpmtPublic, tpmPublicKey } from '../../src/verifier/index.js';
import { startSwtpm } from '../support/swtpm.js';
import { requireTools } from '../support/system-tools.js';

const skip = requireTools('swtpm', 'tpm2_flushcontext', 'tpm2_createprimary', 'tpm2_quote', 'tpm2_pcrread', 'tpm2_pcrextend', 'tpm2_readpublic');
let dir = '';
let swtpm: Awaited<ReturnType<typeof startSwtpm>> | undefined;

function tpm2(args: string[]): void {
  const env = { ...process.env, TPM2TOOLS_TCTI: swtpm!.tcti };
  const r = spawnSync(args[0]!, args.slice(1), { env, encoding: 'utf8', cwd: dir, timeout: 30_000 });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  // Without a resource manager each tool leaves its transient objects loaded; free the slots.
  spawnSync('tpm2_flushcontext', ['-t'], { env, cwd: dir, timeout: 30_000 });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'coco-swtpm-e2e-'));
  swtpm = await startSwtpm();
});

after(async () => {
  await swtpm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tpm verifier against swtpm', { skip }, () => {
  const initDigest = createHash('sha256').update('initdata toml').digest();
  const reportData = createHash('sha384').update('runtime data').digest();
  let evidence: Record<string, unknown>;

  before(() => {
    if (skip) return;
    tpm2(['tpm2_createprimary', '-C', 'e', '-G', 'rsa2048:rsassa-sha256:null', '-a', 'restricted|sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth', '-c', 'ak.ctx']);
    tpm2(['tpm2_readpublic', '-c', 'ak.ctx', '-f', 'der', '-o', 'ak.der']);
    tpm2(['tpm2_readpublic', '-c', 'ak.ctx', '-o', 'ak.tss']);
    tpm2(['tpm2_pcrextend', `8:sha256=${initDigest.toString('hex')}`]);
    tpm2(['tpm2_pcrread', 'sha256:all', '-o', 'pcrs.bin']);
    const nonce = reportData.subarray(0, 32).toString('hex');
    tpm2(['tpm2_quote', '-c', 'ak.ctx', '-l', 'sha256:all', '-q', nonce, '-m', 'quote.msg', '-s', 'quote.sig', '-g', 'sha256']);
    const pcrBytes = readFileSync(join(dir, 'pcrs.bin'));
    const pcrs = Array.from({ length: 24 }, (_, i) => new Uint8Array(pcrBytes.subarray(i * 32, i * 32 + 32)));
    evidence = encodeTpmEvidence({
      akPublicDer: new Uint8Array(readFileSync(join(dir, 'ak.der'))),
      message: new Uint8Array(readFileSync(join(dir, 'quote.msg'))),
      signature: new Uint8Array(readFileSync(join(dir, 'quote.sig'))),
      pcrs,
    });
  });

  test('verifies a quote from a real TPM with the nonce and the init-data digest', async () => {
    const r = await createVerifier('tpm').evaluate(evidence, { reportData, initDataDigest: initDigest }, new Date());
    assert.deepEqual(r.checks.map((c) => c.id), ['tpm.quote.signature', 'tpm.quote.parse', 'tpm.quote.pcr_selection', 'tpm.quote.pcr_digest', 'tpm.nonce', 'tpm.init_data']);
    assert.equal(r.claims.report_data, reportData.subarray(0, 32).toString('hex'));
  });

  test('rejects the same quote with another nonce or init-data digest', async () => {
    const v = createVerifier('tpm');
    await assert.rejects(v.evaluate(evidence, { reportData: new Uint8Array(48) }, new Date()), (e: unknown) => e instanceof VerificationFailed && e.check === 'tpm.nonce');
    await assert.rejects(v.evaluate(evidence, { initDataDigest: new Uint8Array(32) }, new Date()), (e: unknown) => e instanceof VerificationFailed && e.check === 'tpm.init_data');
  });

  test('reads the AK public area TPM2B_PUBLIC as the same key as its DER export', () => {
    const fromTpm = tpmPublicKey(parseTpmtPublic(new Uint8Array(readFileSync(join(dir, 'ak.tss'))), true));
    const der = readFileSync(join(dir, 'ak.der'));
    assert.deepEqual(Buffer.from(fromTpm.export({ type: 'spki', format: 'der' })), der);
  });
});
