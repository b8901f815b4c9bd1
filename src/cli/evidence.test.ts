import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fixture, fixtureJson, fixturePath } from '../../test/support/fixtures.js';
import { encodeSnpEvidence } from '../verifier/index.js';
import { runEvidence, type Io } from './evidence.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-cli-evidence-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readStdin: async () => stdin };
  const code = await runEvidence(args, io);
  return { code, out, err };
}

describe('coco evidence verify', () => {
  test('verifies SNP evidence and prints the claims and the check table', async () => {
    const r = await cli(['verify', '--tee', 'snp', fixturePath('snp/genoa-evidence.json')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /"measurement": "6a6519d757e68c2e/);
    assert.match(r.out, /snp\.report\.signature\s+pass/);
    assert.match(r.out, /evidence verified \(snp/);
  });

  test('prints JSON with --json, reads stdin for "-", and checks --report-data', async () => {
    const text = JSON.stringify(fixtureJson('az-snp-vtpm/evidence-v2.json'));
    const rd = '982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef';
    const r = await cli(['verify', '--tee', 'az-snp-vtpm', '--report-data', rd, '--json', '-'], text);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.ok, true);
    assert.equal(j.claims.tpm.pcr00, '84275b2f4312cd4fc6cbe6b152ad3c3683e513d9f1e23c34fca160c8cca7a6a7');
    assert.ok(j.checks.some((c: { id: string }) => c.id === 'az.hcl.user_data'));
  });

  test('shows the failed check and exits 1; --as-of moves the validity check', async () => {
    const file = join(dir, 'vlek.json');
    writeFileSync(file, JSON.stringify(encodeSnpEvidence(fixture('snp/test-vlek-report.bin'), [{ certType: 'VLEK', data: fixture('snp/test-vlek.der') }])));
    const now = await cli(['verify', '--tee', 'snp', '--as-of', '2026-02-01', file]);
    assert.equal(now.code, 1);
    assert.match(now.out, /snp\.cert_chain\.validity\s+FAIL/);
    const past = await cli(['verify', '--tee', 'snp', '--as-of', '2025-06-01T00:00:00Z', '--json', file]);
    assert.equal(past.code, 1);
    assert.equal(JSON.parse(past.out).failedCheck, 'snp.report.vmpl');
  });

  test('uses an offline VCEK store given with --collateral', async () => {
    const ev = fixtureJson<{ attestation_report: { chip_id: number[] }; cert_chain: Array<{ data: number[] }> }>('snp/genoa-evidence.json');
    const hwid = Buffer.from(ev.attestation_report.chip_id).toString('hex');
    mkdirSync(join(dir, 'store', 'vcek', hwid), { recursive: true });
    writeFileSync(join(dir, 'store', 'vcek', hwid, 'vcek.der'), new Uint8Array(ev.cert_chain[0]!.data));
    const file = join(dir, 'no-certs.json');
    writeFileSync(file, JSON.stringify({ ...ev, cert_chain: null }));
    assert.equal((await cli(['verify', '--tee', 'snp', file])).code, 1);
    const r = await cli(['verify', '--tee', 'snp', '--collateral', join(dir, 'store'), file]);
    assert.equal(r.code, 0, r.out + r.err);
  });

  test('answers usage errors with exit 2 and a missing file with exit 3', async () => {
    assert.equal((await cli([])).code, 2);
    assert.equal((await cli(['verify', fixturePath('snp/genoa-evidence.json')])).code, 2);
    assert.equal((await cli(['verify', '--tee', 'nope', 'x.json'])).code, 2);
    assert.equal((await cli(['verify', '--tee', 'snp', '--as-of', 'yesterday', 'x.json'])).code, 2);
    assert.equal((await cli(['verify', '--tee', 'cca', fixturePath('snp/genoa-evidence.json')])).code, 2);
    assert.equal((await cli(['verify', '--tee', 'snp', join(dir, 'missing.json')])).code, 3);
    const bad = await cli(['verify', '--tee', 'snp', '--report-data', 'zz', fixturePath('snp/genoa-evidence.json')]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /ERR_MALFORMED_INPUT/);
  });
});
