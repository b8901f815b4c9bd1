import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureJson } from '../../../test/support/fixtures.js';
import type { JsonValue } from '../../core/index.js';
import { ReferenceValues } from '../rvps/reference-values.js';
import { regoPolicyEngine } from '../rego-engine.js';
import { MemoryStore } from '../storage/memory.js';
import { appraise } from './appraisal.js';
import { AttestationService } from './attestation-service.js';
import { DEFAULT_AS_POLICIES } from './default-policies/index.js';
import { createEarSigner } from './ear-token.js';
import { explainAppraisal, loweredClaims } from './explain-appraisal.js';
import { PolicyStore } from './policy.js';
import type { CompiledPolicy } from './policy-engine.js';

const CPU = DEFAULT_AS_POLICIES.default_cpu!;
const NOW = new Date('2026-11-23T08:00:00Z');
const rvBuiltins = (rv: Record<string, unknown>) => ({ query_reference_value: { arity: 1, fn: (id: unknown) => rv[id as string] } });
const compileCpu = (rv: Record<string, unknown>) => regoPolicyEngine.compile({ 'policy.rego': CPU }, { builtins: rvBuiltins(rv) });

async function store(text = CPU) {
  const p = new PolicyStore(new MemoryStore(), 'attestation_service_policy', regoPolicyEngine, { query_reference_value: 1 });
  await p.set('default_cpu', text);
  return p;
}
const snapshot = (values: Record<string, JsonValue>) => ({ values: new Map(Object.entries(values)), expired: new Set<string>() });

describe('loweredClaims', () => {
  test('lists the claims in the warning and contraindicated tiers only', () => {
    assert.deepEqual(loweredClaims({ executables: 33, hardware: 2, configuration: 0, 'file-system': 97, 'runtime-opaque': -1 }), ['executables', 'file-system']);
    assert.deepEqual(loweredClaims({ executables: 3, hardware: 2 }), []);
  });
});

describe('explainAppraisal', () => {
  test('names the pcr11 expression, the tpm_pcr11 reference value and both values when PCR11 is not registered', () => {
    const rv = { tpm_pcr11: ['aa'.repeat(32)], trusted_aks: ['ak'] };
    const input = { tpm: { pcr11: 'bb'.repeat(32), ak_public: 'ak' } };
    const out = explainAppraisal({ policy: compileCpu(rv), text: CPU, policyId: 'default_cpu', input, builtins: rvBuiltins(rv), vector: { executables: 33, hardware: 2, configuration: 0 } });
    assert.equal(out.length, 1);
    const e = out[0]!;
    assert.equal(e.claim, 'executables');
    assert.equal(e.value, 33);
    assert.equal(e.reason, 'failed');
    assert.equal(e.expression, 'input.tpm.pcr11 in rv("tpm_pcr11")');
    assert.deepEqual(e.referenceValues, ['tpm_pcr11']);
    assert.deepEqual(e.operands, [JSON.stringify('bb'.repeat(32)), JSON.stringify(['aa'.repeat(32)])]);
  });

  test('names the launch_digest expression for sample evidence with a wrong reference value', () => {
    const rv = { launch_digest: ['other'], svn: ['1'], major_version: 1, minimum_minor_version: 1 };
    const input = { sample: { launch_digest: 'abcde', svn: '1', platform_version: { major: 1, minor: 1 }, debug: false } };
    const out = explainAppraisal({ policy: compileCpu(rv), text: CPU, policyId: 'default_cpu', input, builtins: rvBuiltins(rv), vector: { executables: 33, hardware: 2, configuration: 2 } });
    assert.deepEqual(out.map((e) => [e.claim, e.expression, e.referenceValues, e.operands]), [
      ['executables', 'input.sample.launch_digest in rv("launch_digest")', ['launch_digest'], ['"abcde"', '["other"]']],
    ]);
  });

  test('says a claim kept its default when no rule applies to the evidence', () => {
    const out = explainAppraisal({ policy: compileCpu({}), text: CPU, policyId: 'default_cpu', input: { unknown: {} }, builtins: rvBuiltins({}), vector: { hardware: 97 } });
    assert.deepEqual(out, [{ claim: 'hardware', value: 97, policy: 'default_cpu', reason: 'default' }]);
  });

  test('says which rule set a lowered value itself', () => {
    const text = 'package policy\nimport rego.v1\nexecutables := 40 if input.x\ntrust_claims := {"executables": executables}\n';
    const policy = regoPolicyEngine.compile({ 'policy.rego': text });
    const out = explainAppraisal({ policy, text, policyId: 'p', input: { x: true }, builtins: {}, vector: { executables: 40 } });
    assert.deepEqual(out, [{ claim: 'executables', value: 40, policy: 'p', reason: 'set', at: 'policy.rego:3:1' }]);
  });

  test('gives nothing for an engine without explain support or an evaluation error', () => {
    const noExplain: CompiledPolicy = { evalJson: () => undefined };
    assert.deepEqual(explainAppraisal({ policy: noExplain, text: CPU, policyId: 'p', input: {}, builtins: {}, vector: { executables: 33 } }), []);
    const throwing: CompiledPolicy = { evalJson: () => undefined, eval: () => { throw new Error('boom'); } };
    assert.deepEqual(explainAppraisal({ policy: throwing, text: CPU, policyId: 'p', input: {}, builtins: {}, vector: { executables: 33 } }), []);
  });
});

describe('appraise', () => {
  test('runs explain mode only when a claim is lowered', async () => {
    const policies = await store();
    const real = await policies.get('default_cpu');
    let explained = 0;
    const counting: CompiledPolicy = { evalJson: (q, o) => real.evalJson(q, o), eval: (q, o) => (explained++, real.eval!(q, o)) };
    const spy = { get: async () => counting, text: (id: string) => policies.text(id) } as unknown as PolicyStore;
    const input = { sample: { launch_digest: 'abcde', svn: '1', platform_version: { major: 1, minor: 1 }, debug: false } };
    const good = await appraise(spy, 'default_cpu', input, snapshot({ launch_digest: ['abcde'], svn: ['1'], major_version: 1, minimum_minor_version: 1 }), () => {});
    assert.equal(good.explanations, undefined);
    assert.equal(explained, 0);
    const bad = await appraise(spy, 'default_cpu', input, snapshot({ launch_digest: ['zzz'], svn: ['1'], major_version: 1, minimum_minor_version: 1 }), () => {});
    assert.equal(explained, 1);
    assert.deepEqual(bad.explanations?.map((e) => [e.claim, e.value, e.referenceValues]), [['executables', 33, ['launch_digest']]]);
  });
});

describe('AttestationService.evaluate explanations (real SNP evidence)', () => {
  test('name the SNP expressions and their missing reference values, not the rules of other TEEs', async () => {
    const store = new MemoryStore(() => NOW.getTime());
    const policies = new PolicyStore(store, 'attestation_service_policy', regoPolicyEngine, { query_reference_value: 1 });
    for (const [id, text] of Object.entries(DEFAULT_AS_POLICIES)) await policies.seed(id, text);
    const as = new AttestationService({ policies, rvps: new ReferenceValues(store), signer: createEarSigner() });
    const out = await as.evaluate([{ tee: 'snp', evidence: fixtureJson('snp/genoa-evidence.json'), hashAlgorithm: 'sha384' }], ['default'], NOW);
    assert.deepEqual(out.explanations.map((e) => [e.submod, e.claim, e.value, e.reason]), [
      ['cpu0', 'executables', 33, 'failed'],
      ['cpu0', 'hardware', 97, 'failed'],
    ]);
    assert.equal(out.explanations[0]!.expression, 'input.snp.measurement in rv("snp_launch_measurement")');
    assert.deepEqual(out.explanations[0]!.referenceValues, ['snp_launch_measurement']);
    assert.equal(out.explanations[0]!.operands?.[1], '<undefined>');
    assert.equal(out.explanations[1]!.expression, 'input.snp.reported_tcb_bootloader in rv("snp_bootloader")');
    assert.ok(out.explanations.every((e) => e.expression?.startsWith('input.snp.')), JSON.stringify(out.explanations));
  });
});
