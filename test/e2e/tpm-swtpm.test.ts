/**
 * A real (software) TPM end to end: swtpm + tpm2-tools create an RSA attestation key, extend PCR 8
 * with an init-data digest, and quote PCRs 0–23 with a nonce; the `tpm` verifier must accept the
 * evidence built with `encodeTpmEvidence` and reject it with a wrong nonce or init-data digest.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VerificationFailed } from '../../src/core/index.js';
import { createVerifier, encodeTpmEvidence, parseTpmtPublic, tpmPublicKey } from '../../src/verifier/index.js';
import { requireTools } from '../support/system-tools.js';

const skip = requireTools('swtpm', 'tpm2_getrandom', 'tpm2_flushcontext', 'tpm2_createprimary', 'tpm2_quote', 'tpm2_pcrread', 'tpm2_pcrextend', 'tpm2_readpublic');
let dir = '';
let swtpm: ChildProcess | undefined;
let tcti = '';

/**
 * A free TCP port P on 127.0.0.1 with P+1 also free: the swtpm TCTI talks to the command port P
 * and to the control channel at P+1 (swtpm needs explicit ports).
 */
async function freePortPair(): Promise<number> {
  const listen = (port: number) =>
    new Promise<ReturnType<typeof createServer> | undefined>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  for (let i = 0; i < 20; i++) {
    const a = (await listen(0))!;
    const port = (a.address() as { port: number }).port;
    const b = port < 65535 ? await listen(port + 1) : undefined;
    await Promise.all([a, b].map((s) => s && new Promise((r) => s.close(r))));
    if (b) return port;
  }
  throw new Error('no free port pair');
}

function tpm2(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { env: { ...process.env, TPM2TOOLS_TCTI: tcti }, encoding: 'utf8', cwd: dir, timeout: 30_000 });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  // Without a resource manager each tool leaves its transient objects loaded; free the slots.
  spawnSync('tpm2_flushcontext', ['-t'], { env: { ...process.env, TPM2TOOLS_TCTI: tcti }, cwd: dir, timeout: 30_000 });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'coco-swtpm-'));
  const port = await freePortPair();
  const ctrl = port + 1;
  swtpm = spawn('swtpm', ['socket', '--tpm2', '--tpmstate', `dir=${dir}`, '--server', `type=tcp,port=${port},bindaddr=127.0.0.1`, '--ctrl', `type=tcp,port=${ctrl},bindaddr=127.0.0.1`, '--flags', 'not-need-init,startup-clear'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let swtpmErr = '';
  swtpm.stderr?.on('data', (c: Buffer) => (swtpmErr += c.toString()));
  tcti = `swtpm:host=127.0.0.1,port=${port}`;
  let last = '';
  for (let i = 0; i < 50; i++) {
    const r = spawnSync('tpm2_getrandom', ['4'], { env: { ...process.env, TPM2TOOLS_TCTI: tcti }, timeout: 5000 });
    if (r.status === 0) return;
    last = `${r.status} ${r.stderr?.toString()}`;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`swtpm did not come up: ${swtpmErr} exit ${swtpm.exitCode}; tpm2_getrandom: ${last}`);
});

after(() => {
  swtpm?.kill();
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
