import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureJson } from '../../../test/support/fixtures.js';
import { VerificationFailed } from '../../core/index.js';
import { deviceRuntimeData, primaryRuntimeData, runtimeDataDigest } from '../../protocol/index.js';
import { encodeSampleEvidence } from '../../verifier/index.js';
import { MemoryStore } from '../storage/memory.js';
import { ReferenceValues } from '../rvps/reference-values.js';
import { regoPolicyEngine } from '../rego-engine.js';
import { SAMPLE_AFFIRMING_RVS, cookieOf, sampleAttestation, sampleGuest, sampleRvMessage, startTestTrustee } from '../../../test/support/trustee.js';
import { AttestationService, type EvidenceItem } from './attestation-service.js';
import { DEFAULT_AS_POLICIES } from './default-policies/index.js';
import { createEarSigner } from './ear-token.js';
import { PolicyStore } from './policy.js';
import { TokenVerifier } from './token-verifier.js';

const NOW = new Date('2026-11-23T08:00:00Z');

async function makeAs(rvs?: Record<string, unknown>) {
  const store = new MemoryStore(() => NOW.getTime());
  const policies = new PolicyStore(store, 'attestation_service_policy', regoPolicyEngine, { query_reference_value: 1 });
  for (const [id, text] of Object.entries(DEFAULT_AS_POLICIES)) await policies.seed(id, text);
  const rvps = new ReferenceValues(store);
  if (rvs) await rvps.register({ version: '0.1.0', type: 'sample', payload: Buffer.from(JSON.stringify(rvs)).toString('base64') }, NOW.getTime());
  const signer = createEarSigner();
  return { as: new AttestationService({ policies, rvps, signer }), signer };
}

const key = sampleGuest().teePubKey;
function item(tee: 'sample' | 'sampledevice', rd: Record<string, unknown>): EvidenceItem {
  return { tee, evidence: encodeSampleEvidence(runtimeDataDigest(rd, 'sha384')), runtimeData: rd, hashAlgorithm: 'sha384' };
}

describe('AttestationService.evaluate', () => {
  test('is contraindicated without reference values and affirming with them', async () => {
    const rd = primaryRuntimeData('n', key, '');
    const bare = await makeAs();
    const out1 = await bare.as.evaluate([item('sample', rd)], ['default'], NOW);
    assert.equal((out1.claims.submods as any).cpu0['ear.status'], 'contraindicated');
    const withRv = await makeAs(SAMPLE_AFFIRMING_RVS);
    const out2 = await withRv.as.evaluate([item('sample', rd)], ['default'], NOW);
    assert.equal((out2.claims.submods as any).cpu0['ear.status'], 'affirming');
    assert.deepEqual(new TokenVerifier({ trustedKeys: [withRv.signer.publicKey] }).verify(out2.token, NOW).submods, out2.claims.submods);
  });

  test('appraises device evidence as its own submod (gpu0)', async () => {
    const { as } = await makeAs({ device_svn: ['1'] });
    const add = JSON.stringify({ sampledevice: {} });
    const out = await as.evaluate([item('sample', primaryRuntimeData('n', key, add)), item('sampledevice', deviceRuntimeData('n', key))], ['default'], NOW);
    const submods = out.claims.submods as any;
    assert.deepEqual(Object.keys(submods).sort(), ['cpu0', 'gpu0']);
    assert.equal(submods.gpu0['ear.trustworthiness-vector'].hardware, 2);
    assert.equal('additional-evidence' in submods.gpu0['ear.veraison.annotated-evidence'].runtime_data_claims, false);
  });

  test('fails with the verifier check when the binding is wrong', async () => {
    const { as } = await makeAs();
    const bad = { ...item('sample', primaryRuntimeData('n', key, '')), runtimeData: primaryRuntimeData('other', key, '') };
    await assert.rejects(as.evaluate([bad], ['default'], NOW), { check: 'sample.report_data' });
  });

  test('fails when the named policy does not exist', async () => {
    const { as } = await makeAs();
    await assert.rejects(as.evaluate([item('sample', primaryRuntimeData('n', key, ''))], ['nosuch'], NOW), { code: 'ERR_NOT_FOUND' });
  });
});

describe('expired reference values', () => {
  test('are withheld from the policy and named in the audit record', async () => {
    const t = await startTestTrustee();
    assert.equal((await t.call('POST', '/kbs/v0/reference-value', { body: sampleRvMessage(SAMPLE_AFFIRMING_RVS) })).status, 200);
    t.clock.now += 366 * 24 * 3600 * 1000;
    const auth = await t.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample' } });
    const cookie = cookieOf(auth);
    const res = await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), auth.json().nonce), headers: { cookie } });
    assert.equal(res.status, 200);
    const claims = JSON.parse(Buffer.from(res.json().token.split('.')[1], 'base64url').toString());
    assert.equal(claims.submods.cpu0['ear.status'], 'contraindicated');
    const [rec] = (await t.call('GET', '/kbs/v0/audit?limit=1&route=attest')).json();
    assert.ok(rec.notes.some((n: string) => /svn expired/.test(n)), JSON.stringify(rec));
  });
});

describe('AttestationService with real SNP evidence', () => {
  const SNP_RVS = {
    snp_launch_measurement: ['6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4ae62a36d75c837974dd50b315506e73e'],
    snp_bootloader: [10], snp_tee_svn: [0], snp_snp_svn: [23], snp_microcode: [25],
    snp_smt_enabled: true, snp_tsme_enabled: false, snp_guest_abi_major: 0, snp_guest_abi_minor: 0, snp_single_socket: false, snp_smt_allowed: true,
  };
  const evidence = () => fixtureJson<Record<string, unknown>>('snp/genoa-evidence.json');
  const snpItem = (ev: unknown): EvidenceItem => ({ tee: 'snp', evidence: ev, hashAlgorithm: 'sha384' });

  test('affirms the Genoa evidence against matching reference values', async () => {
    const { as } = await makeAs(SNP_RVS);
    const out = await as.evaluate([snpItem(evidence())], ['default'], NOW);
    const cpu0 = (out.claims.submods as any).cpu0;
    assert.equal(cpu0['ear.status'], 'affirming');
    assert.deepEqual([cpu0['ear.trustworthiness-vector'].executables, cpu0['ear.trustworthiness-vector'].hardware, cpu0['ear.trustworthiness-vector'].configuration], [3, 2, 2]);
    assert.equal(cpu0['ear.veraison.annotated-evidence'].snp.reported_tcb_snp, 23);
  });

  test('is contraindicated without reference values but still sees a locked-down guest', async () => {
    const { as } = await makeAs();
    const cpu0 = ((await as.evaluate([snpItem(evidence())], ['default'], NOW)).claims.submods as any).cpu0;
    assert.equal(cpu0['ear.status'], 'contraindicated');
    assert.equal(cpu0['ear.trustworthiness-vector'].configuration, 3);
  });

  test('fails with the verifier check id when the report signature is broken', async () => {
    const { as } = await makeAs(SNP_RVS);
    const ev = evidence() as { attestation_report: Record<string, unknown> };
    const report = ev.attestation_report as { measurement?: unknown };
    assert.ok(Array.isArray(report.measurement));
    (report.measurement as number[])[0] ^= 1;
    await assert.rejects(as.evaluate([snpItem(ev)], ['default'], NOW), (e: unknown) => e instanceof VerificationFailed && e.check.startsWith('snp.'));
  });
});
