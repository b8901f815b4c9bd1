/**
 * Upstream Trustee policies (resource policies and the EAR CPU appraisal policy) evaluate with
 * upstream semantics on inputs written here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureText } from '../../test/support/fixtures.js';
import { compile } from './index.js';

const sampleClaims = { submods: { cpu0: { 'ear.status': 'affirming', 'ear.veraison.annotated-evidence': { sample: { svn: '1' } } } } };
const snpClaims = { submods: { cpu0: { 'ear.status': 'affirming', 'ear.veraison.annotated-evidence': { snp: { measurement: 'aa' } } } } };
const resourceData = { plugin: 'resource', 'resource-path': ['repo', 'key', 'tag'], query: {} };

function resourcePolicy(name: string) {
  return compile({ [name]: fixtureText(`trustee-policies/resource/${name}`) });
}

describe('Policy.evalJson on upstream resource policies', () => {
  test('default.rego denies tokens from the sample TEE', () => {
    assert.equal(resourcePolicy('default.rego').evalJson('data.policy.allow', { input: sampleClaims, data: resourceData }), false);
  });
  test('default.rego allows tokens from a hardware TEE', () => {
    assert.equal(resourcePolicy('default.rego').evalJson('data.policy.allow', { input: snpClaims, data: resourceData }), true);
  });
  test('default.rego denies plugins other than resource', () => {
    assert.equal(resourcePolicy('default.rego').evalJson('data.policy.allow', { input: snpClaims, data: { ...resourceData, plugin: 'other' } }), false);
  });
  test('allow_all.rego allows sample tokens for the resource plugin only', () => {
    const p = resourcePolicy('allow_all.rego');
    assert.equal(p.evalJson('data.policy.allow', { input: sampleClaims, data: resourceData }), true);
    assert.equal(p.evalJson('data.policy.allow', { input: sampleClaims, data: { plugin: 'x' } }), false);
  });
  test('deny_all.rego denies everything', () => {
    assert.equal(resourcePolicy('deny_all.rego').evalJson('data.policy.allow', { input: snpClaims, data: resourceData }), false);
  });
  test('affirming.rego needs every submod affirming and at least one submod', () => {
    const p = resourcePolicy('affirming.rego');
    assert.equal(p.evalJson('data.policy.allow', { input: snpClaims }), true);
    const mixed = { submods: { cpu0: { 'ear.status': 'affirming' }, gpu0: { 'ear.status': 'warning' } } };
    assert.equal(p.evalJson('data.policy.allow', { input: mixed }), false);
    assert.equal(p.evalJson('data.policy.allow', { input: { submods: {} } }), false);
  });
});

const referenceValues: Record<string, unknown> = {
  launch_digest: ['d1', 'd2'],
  svn: [1],
  major_version: 1,
  minimum_minor_version: 2,
  snp_launch_measurement: ['m1'],
  snp_bootloader: [3],
  snp_microcode: [115],
  snp_snp_svn: [8],
  snp_tee_svn: [0],
};

function earPolicy(rvs: Record<string, unknown> = referenceValues) {
  const calls: string[] = [];
  const policy = compile(
    { 'ear_default_policy_cpu.rego': fixtureText('trustee-policies/ear_default_policy_cpu.rego') },
    { builtins: { query_reference_value: { arity: 1, fn: (id) => (calls.push(String(id)), rvs[String(id)] ?? null) } } },
  );
  return { policy, calls };
}

const sampleInput = { sample: { launch_digest: 'd2', svn: 1, platform_version: { major: 1, minor: 3 }, debug: false } };

describe('Policy.evalJson on the upstream EAR CPU appraisal policy', () => {
  test('yields affirming trust claims for sample evidence whose reference values match', () => {
    const { policy } = earPolicy();
    assert.deepEqual(policy.evalJson('data.policy.trust_claims', { input: sampleInput }), {
      configuration: 2,
      executables: 3,
      'file-system': 0,
      hardware: 2,
      'instance-identity': 0,
      'runtime-opaque': 0,
      'sourced-data': 0,
      'storage-opaque': 0,
    });
  });
  test('keeps the default (contraindicated) values when reference values do not match', () => {
    const { policy } = earPolicy();
    const input = { sample: { launch_digest: 'other', svn: 2, platform_version: { major: 1, minor: 1 }, debug: true } };
    const claims = policy.evalJson('data.policy.trust_claims', { input }) as Record<string, number>;
    assert.equal(claims.executables, 33);
    assert.equal(claims.hardware, 97);
    assert.equal(claims.configuration, 36);
  });
  test('lowers only the claims whose checks fail', () => {
    const { policy } = earPolicy();
    const input = { sample: { ...sampleInput.sample, platform_version: { major: 1, minor: 1 } } };
    const claims = policy.evalJson('data.policy.trust_claims', { input }) as Record<string, number>;
    assert.deepEqual([claims.executables, claims.hardware, claims.configuration], [3, 97, 2]);
  });
  test('a missing reference value (null) makes the membership check fail', () => {
    const { policy } = earPolicy({});
    const claims = policy.evalJson('data.policy.trust_claims', { input: sampleInput }) as Record<string, number>;
    assert.equal(claims.executables, 33);
  });
  test('evaluates SNP claims with else-branch configuration', () => {
    const { policy } = earPolicy();
    const snp = {
      measurement: 'm1',
      reported_tcb_bootloader: 3,
      reported_tcb_microcode: 115,
      reported_tcb_snp: 8,
      reported_tcb_tee: 0,
      policy_debug_allowed: false,
      policy_migrate_ma: false,
      platform_smt_enabled: true,
    };
    const claims = policy.evalJson('data.policy.trust_claims', { input: { snp } }) as Record<string, number>;
    assert.deepEqual([claims.executables, claims.hardware, claims.configuration], [3, 2, 3]);
  });
  test('builds the identifiers extension from init-data agent policy claims', () => {
    const { policy } = earPolicy();
    const containers = [
      { OCI: { Annotations: { 'io.kubernetes.cri.image-name': 'pause' }, Process: { User: { UID: 65535 } } } },
      { OCI: { Annotations: { 'io.kubernetes.cri.image-name': 'nginx' }, Process: { User: { UID: 0 } } } },
    ];
    const input = { ...sampleInput, init_data_claims: { agent_policy_claims: { containers } } };
    assert.deepEqual(policy.evalJson('data.policy.extensions', { input }), [
      { name: 'ear.trustee.identifiers', key: -18, value: { validated: { container_images: ['pause', 'nginx'], container_uids: [65535, 0] } } },
    ]);
    assert.deepEqual(policy.evalJson('data.policy.extensions', { input: sampleInput }), [
      { name: 'ear.trustee.identifiers', key: -18, value: { validated: {} } },
    ]);
  });
  test('per-evaluation host builtins override the compiled ones', () => {
    const { policy } = earPolicy({});
    const claims = policy.evalJson('data.policy.trust_claims', {
      input: sampleInput,
      builtins: { query_reference_value: { arity: 1, fn: (id) => referenceValues[String(id)] ?? null } },
    }) as Record<string, number>;
    assert.equal(claims.executables, 3);
  });
  test('a rule path that does not exist is undefined, not an error', () => {
    const { policy } = earPolicy();
    assert.equal(policy.evalJson('data.policy.no_such_rule', { input: sampleInput }), undefined);
  });
});

function enginePolicy(n: number) {
  return compile({ [`policy_${n}.rego`]: fixtureText(`trustee-policies/engine-tests/policy_${n}.rego`) });
}
const sampleWith = (sample: Record<string, unknown>) => ({ submods: { cpu0: { 'ear.veraison.annotated-evidence': { sample } } } });

describe('Policy.evalJson on the upstream policy-engine test policies', () => {
  test('policy_1 allows when the sample productId names the resource type', () => {
    const data = { plugin: 'resource', 'resource-path': ['repo', 'p1', 'tag'] };
    assert.equal(enginePolicy(1).evalJson('data.policy.allow', { input: sampleWith({ productId: 'p1' }), data }), true);
    assert.equal(enginePolicy(1).evalJson('data.policy.allow', { input: sampleWith({ productId: 'p2' }), data }), false);
    assert.equal(enginePolicy(1).evalJson('data.policy.allow', { input: sampleWith({ productId: 'p1' }), data: { ...data, 'resource-path': ['p1'] } }), false);
  });
  test('policy_2 and policy_3 are constant allow and deny', () => {
    assert.equal(enginePolicy(2).evalJson('data.policy.allow', { input: {} }), true);
    assert.equal(enginePolicy(3).evalJson('data.policy.allow', { input: {} }), false);
  });
  test('policy_4 exposes input_tcb only when the token has a tcb-status', () => {
    const p = enginePolicy(4);
    assert.deepEqual(p.evalJson('data.policy.input_tcb', { input: { 'tcb-status': { x: 1 } } }), { x: 1 });
    assert.equal(p.evalJson('data.policy.input_tcb', { input: {} }), undefined);
  });
  test('policy_5 compares the sample svn with a per-secret minimum', () => {
    const p = enginePolicy(5);
    const data = (tag: string) => ({ plugin: 'resource', 'resource-path': ['myrepo', 'secret', tag] });
    assert.equal(p.evalJson('data.policy.allow', { input: sampleWith({ svn: 2 }), data: data('secret1') }), true);
    assert.equal(p.evalJson('data.policy.allow', { input: sampleWith({ svn: 2 }), data: data('secret2') }), false);
    assert.equal(p.evalJson('data.policy.allow', { input: sampleWith({ svn: 2 }), data: data('secret3') }), false);
  });
});

describe('Policy.evalJson on the upstream EAR GPU appraisal policy', () => {
  const gpu = compile({ 'gpu.rego': fixtureText('trustee-policies/ear_default_policy_gpu.rego') });
  test('keeps the default claims for an unknown device', () => {
    const c = gpu.evalJson('data.policy.trust_claims', { input: { other: {} } }) as Record<string, number>;
    assert.deepEqual([c.hardware, c.executables, c.configuration], [97, 33, 36]);
  });
  test('affirms a sample device whose svn is in data.reference', () => {
    const c = gpu.evalJson('data.policy.trust_claims', { input: { sampledevice: { svn: '1' } }, data: { reference: { device_svn: ['1'] } } }) as Record<string, number>;
    assert.equal(c.hardware, 2);
  });
});
