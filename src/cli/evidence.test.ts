import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fixture, fixtureJson, fixturePath } from '../../test/support/fixtures.js';
import { encodeSnpEvidence, parseSnpEvidence } from '../verifier/index.js';
import { runEvidence, type Io } from './evidence.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-cli-evidence-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], stdin: string | Uint8Array = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readStdin: async () => (typeof stdin === 'string' ? Buffer.from(stdin) : stdin) };
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

  test('verifies a raw TD quote against offline collateral as of a date inside its validity', async () => {
    const quote = fixturePath('tdx/tdx_quote_6.dat');
    const coll = fixturePath('tdx');
    const r = await cli(['verify', '--tee', 'tdx', '--collateral', coll, '--as-of', '2025-11-01', quote]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /"tcb_status": "OutOfDate"/);
    assert.match(r.out, /tdx\.quote\.signature\s+pass/);
    assert.match(r.out, /tdx\.collateral\.validity\s+pass/);
    const now = await cli(['verify', '--tee', 'tdx', '--collateral', coll, '--json', quote]);
    assert.equal(now.code, 1, now.out + now.err);
    assert.equal(JSON.parse(now.out).failedCheck, 'tdx.collateral.validity');
  });

  test('reads a raw TD quote from stdin and replays a CCEL given with --eventlog', async () => {
    const args = ['verify', '--tee', 'tdx', '--collateral', fixturePath('tdx'), '--as-of', '2025-11-01', '--json'];
    const plain = await cli([...args, '-'], fixture('tdx/tdx_quote_6.dat'));
    assert.equal(plain.code, 0, plain.out + plain.err);
    assert.ok(!JSON.parse(plain.out).checks.some((c: { id: string }) => c.id.startsWith('tdx.eventlog')));
    // CCEL_data was captured on another TD: its replayed RTMR0 (2dc71230...) is not this quote's.
    const r = await cli([...args, '--eventlog', fixturePath('eventlog/CCEL_data'), fixturePath('tdx/tdx_quote_6.dat')]);
    assert.equal(r.code, 1, r.out + r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.failedCheck, 'tdx.eventlog.replay');
    assert.match(j.error, /RTMR0/);
  });

  test('verifies a raw SNP report with --vcek (DER or PEM) and falls back to --collateral without it', async () => {
    const report = fixturePath('snp/test-vlek-report.bin');
    const der = fixture('snp/test-vlek.der');
    const pem = join(dir, 'vlek.pem');
    writeFileSync(pem, `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
    for (const vek of [fixturePath('snp/test-vlek.der'), pem]) {
      const r = await cli(['verify', '--tee', 'snp', '--vcek', vek, '--as-of', '2025-06-01', '--json', report]);
      assert.equal(r.code, 1, r.out + r.err);
      const j = JSON.parse(r.out);
      // Chain (ARK → ASVK → VLEK), signature and TCB pass; the full appraisal refuses VMPL 1.
      assert.equal(j.failedCheck, 'snp.report.vmpl');
      for (const id of ['snp.cert_chain.validity', 'snp.report.signature', 'snp.report.tcb']) {
        assert.ok(j.checks.some((c: { id: string; ok: boolean }) => c.id === id && c.ok), id);
      }
    }
    const expired = await cli(['verify', '--tee', 'snp', '--vcek', fixturePath('snp/test-vlek.der'), '--as-of', '2026-02-01', report]);
    assert.equal(expired.code, 1);
    assert.match(expired.out, /snp\.cert_chain\.validity\s+FAIL/);
    const noKey = await cli(['verify', '--tee', 'snp', '--json', report]);
    assert.equal(noKey.code, 1, noKey.out + noKey.err);
    assert.equal(JSON.parse(noKey.out).failedCheck, 'snp.vek.source');
  });

  test('verifies a raw Genoa report with its VCEK from --vcek or from the --collateral store', async () => {
    const ev = parseSnpEvidence(fixtureJson('snp/genoa-evidence.json'));
    const raw = join(dir, 'genoa-report.bin');
    writeFileSync(raw, ev.reportBytes);
    const vcek = join(dir, 'genoa-vcek.der');
    writeFileSync(vcek, ev.certChain![0]!.data);
    const hwid = Buffer.from(ev.report.chipId).toString('hex');
    mkdirSync(join(dir, 'raw-store', 'vcek', hwid), { recursive: true });
    writeFileSync(join(dir, 'raw-store', 'vcek', hwid, 'vcek.der'), ev.certChain![0]!.data);
    for (const extra of [['--vcek', vcek], ['--collateral', join(dir, 'raw-store')]]) {
      const r = await cli(['verify', '--tee', 'snp', ...extra, '--json', raw]);
      assert.equal(r.code, 0, r.out + r.err);
      const j = JSON.parse(r.out);
      assert.equal(j.claims.measurement, '6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4ae62a36d75c837974dd50b315506e73e');
      assert.ok(j.checks.some((c: { id: string; ok: boolean }) => c.id === 'snp.report.signature' && c.ok));
    }
  });

  test('refuses raw forms it cannot take, with the error named', async () => {
    const quote = fixturePath('tdx/tdx_quote_6.dat');
    const wrongTee = await cli(['verify', '--tee', 'az-snp-vtpm', quote]);
    assert.equal(wrongTee.code, 2);
    assert.match(wrongTee.err, /ERR_UNSUPPORTED: raw binary evidence/);
    const asSnp = await cli(['verify', '--tee', 'snp', quote]);
    assert.equal(asSnp.code, 1);
    assert.match(asSnp.err, /ERR_MALFORMED_INPUT: SNP report: \d+ bytes, expected 1184/);
    const mixed = await cli(['verify', '--tee', 'snp', '--eventlog', fixturePath('eventlog/CCEL_data'), fixturePath('snp/genoa-evidence.json')]);
    assert.equal(mixed.code, 2);
    const badJson = join(dir, 'bad.json');
    writeFileSync(badJson, '  {"quote": ');
    const bj = await cli(['verify', '--tee', 'tdx', badJson]);
    assert.equal(bj.code, 1);
    assert.match(bj.err, /invalid JSON/);
    assert.equal((await cli(['verify', '--tee', 'tdx', '--eventlog', join(dir, 'nope.bin'), quote])).code, 3);
    const noDir = await cli(['verify', '--tee', 'tdx', '--collateral', join(dir, 'no-such-dir'), quote]);
    assert.equal(noDir.code, 3);
    assert.match(noDir.err, /no such file .*no-such-dir/);
    assert.equal((await cli(['verify', '--tee', 'tdx', '--collateral', quote, quote])).code, 2);
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, new Uint8Array(0));
    assert.match((await cli(['verify', '--tee', 'tdx', empty])).err, /empty evidence file/);
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
