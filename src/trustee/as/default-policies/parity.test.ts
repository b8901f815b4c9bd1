/**
 * Our own default appraisal policies must decide as upstream's do: the upstream files in the shared
 * fixtures are test inputs only, evaluated side by side with ours on the same inputs and reference values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureText } from '../../../../test/support/fixtures.js';
import { TRUST_CLAIMS } from '../../../protocol/index.js';
import { regoPolicyEngine } from '../../rego-engine.js';
import { DEFAULT_AS_POLICIES, DEFAULT_RESOURCE_POLICY } from './index.js';

const RV: Record<string, unknown> = {
  launch_digest: ['abcde'], svn: ['1'], major_version: 1, minimum_minor_version: 1,
  snp_launch_measurement: ['m1'], snp_bootloader: [3], snp_microcode: [209], snp_snp_svn: [20], snp_tee_svn: [0],
  snp_smt_enabled: true, snp_tsme_enabled: false, snp_guest_abi_major: 0, snp_guest_abi_minor: 31, snp_single_socket: false, snp_smt_allowed: true,
  rtmr_1: ['r1'], rtmr_2: ['r2'], tdvfkernel: 'kd', tdvfkernelparams: 'pd', mr_td: ['td'], xfam: ['e7'],
  measurement: ['am'], snp_pcr11: ['p11'], tcb_bootloader: ['3'], tcb_microcode: ['209'], tcb_snp: ['20'], tcb_tee: ['0'],
  smt_enabled: ['true'], tsme_enabled: ['false'], abi_major: ['0'], abi_minor: ['31'], single_socket: ['false'], smt_allowed: ['true'],
  tdx_pcr11: ['t11'], tpm_pcr11: ['q11'], trusted_aks: ['ak'],
};

const snp = {
  measurement: 'm1', reported_tcb_bootloader: 3, reported_tcb_microcode: 209, reported_tcb_snp: 20, reported_tcb_tee: 0,
  policy_debug_allowed: false, policy_migrate_ma: false, platform_smt_enabled: true, platform_tsme_enabled: false,
  policy_abi_major: 0, policy_abi_minor: 31, policy_single_socket: false, policy_smt_allowed: true,
};
const tdxQuote = { header: { tee_type: '81000000', vendor_id: '939a7233f79c4ca9940a0db3957f0607' }, body: { rtmr_1: 'r1', rtmr_2: 'r2', mr_td: 'td', xfam: 'e7' } };
const events = [
  { type_name: 'EV_EFI_BOOT_SERVICES_APPLICATION', details: { device_paths: ['PciRoot(0x0)', 'File(kernel)'] }, digests: [{ alg: 'SHA-384', digest: 'kd' }] },
  { type_name: 'EV_EVENT_TAG', details: { string: 'LOADED_IMAGE::LoadOptions' }, digests: [{ alg: 'SHA-384', digest: 'pd' }] },
];
const tdx = { quote: tdxQuote, tcb_status: 'UpToDate', collateral_expiration_status: '0', td_attributes: { debug: false }, uefi_event_logs: events };
const azSnp = {
  measurement: 'am', tpm: { pcr11: 'p11' }, reported_tcb_bootloader: '3', reported_tcb_microcode: '209', reported_tcb_snp: '20', reported_tcb_tee: '0',
  platform_smt_enabled: 'true', platform_tsme_enabled: 'false', policy_abi_major: '0', policy_abi_minor: '31', policy_single_socket: 'false', policy_smt_allowed: 'true',
};
const containers = { containers: [{ OCI: { Annotations: { 'io.kubernetes.cri.image-name': 'nginx' }, Process: { User: { UID: 0 } } } }, { OCI: { Process: { User: { UID: 65535 } } } }] };

const CASES: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['no evidence at all', {}, RV],
  ['sample with matching reference values', { sample: { svn: '1', launch_digest: 'abcde', platform_version: { major: 1, minor: 4 }, debug: false } }, RV],
  ['sample without reference values', { sample: { svn: '1', launch_digest: 'abcde', platform_version: { major: 1, minor: 4 }, debug: false } }, {}],
  ['sample with a stale svn', { sample: { svn: '0', launch_digest: 'abcde', platform_version: { major: 1, minor: 0 }, debug: true } }, RV],
  ['snp fully matching', { snp }, RV],
  ['snp with another ABI (locked down only)', { snp: { ...snp, policy_abi_minor: 30 } }, RV],
  ['snp with debug allowed', { snp: { ...snp, policy_debug_allowed: true, measurement: 'other' } }, RV],
  ['tdx with kernel events', { tdx }, RV],
  ['tdx with RTMRs only', { tdx: { ...tdx, uefi_event_logs: [] } }, RV],
  ['tdx out of date', { tdx: { ...tdx, tcb_status: 'OutOfDate', td_attributes: { debug: true } } }, RV],
  ['az-snp-vtpm matching', { 'az-snp-vtpm': azSnp }, RV],
  ['az-tdx-vtpm matching', { 'az-tdx-vtpm': { quote: tdxQuote, tcb_status: 'UpToDate', tpm: { pcr11: 't11' } } }, RV],
  ['tpm with a trusted AK', { tpm: { pcr11: 'q11', ak_public: 'ak' } }, RV],
  ['tpm with an unknown AK', { tpm: { pcr11: 'q11', ak_public: 'other' } }, RV],
  ['se', { se: { version: '1' } }, RV],
  ['agent policy containers in init-data', { sample: { svn: '1' }, init_data_claims: { agent_policy_claims: containers } }, RV],
  ['init-data without an agent policy', { sample: { svn: '1' }, init_data_claims: null }, RV],
];

function evaluate(text: string, input: unknown, rv: Record<string, unknown>) {
  const builtins = { query_reference_value: { arity: 1, fn: (id: unknown) => rv[id as string] } };
  const policy = regoPolicyEngine.compile({ 'policy.rego': text }, { builtins });
  const claims = policy.evalJson('data.policy.trust_claims', { input, builtins }) as Record<string, number>;
  const vector = Object.fromEntries(TRUST_CLAIMS.map((c) => [c, claims[c] ?? 0]));
  return { vector, extensions: policy.evalJson('data.policy.extensions', { input, builtins }) };
}

describe('default_cpu', () => {
  const upstream = fixtureText('trustee-policies/ear_default_policy_cpu.rego');
  for (const [label, input, rv] of CASES) {
    test(`decides like upstream: ${label}`, () => {
      assert.deepEqual(evaluate(DEFAULT_AS_POLICIES.default_cpu!, input, rv), evaluate(upstream, input, rv));
    });
  }
  test('the cases exercise many different outcomes (the comparison is not vacuous)', () => {
    const outcomes = new Set(CASES.map(([, input, rv]) => JSON.stringify(evaluate(DEFAULT_AS_POLICIES.default_cpu!, input, rv))));
    assert.ok(outcomes.size >= 10, `only ${outcomes.size} distinct outcomes`);
  });

  test('affirms sample evidence only with reference values', () => {
    assert.deepEqual(evaluate(DEFAULT_AS_POLICIES.default_cpu!, CASES[1]![1], RV).vector, {
      'instance-identity': 0, configuration: 2, executables: 3, 'file-system': 0, hardware: 2, 'runtime-opaque': 0, 'storage-opaque': 0, 'sourced-data': 0,
    });
  });
});

describe('default resource policy', () => {
  const upstream = fixtureText('trustee-policies/resource/default.rego');
  const ear = (annotated: Record<string, unknown>) => ({ submods: { cpu0: { 'ear.status': 'affirming', 'ear.veraison.annotated-evidence': annotated } } });
  for (const [label, input, plugin] of [
    ['snp evidence through the resource plugin', ear({ snp: {} }), 'resource'],
    ['sample evidence', ear({ sample: { svn: '1' } }), 'resource'],
    ['another plugin', ear({ snp: {} }), 'nebula-ca'],
    ['no submods', {}, 'resource'],
  ] as const) {
    test(`decides like upstream: ${label}`, () => {
      const data = { plugin, 'resource-path': ['a', 'b', 'c'], query: {} };
      const ours = regoPolicyEngine.compile({ 'p.rego': DEFAULT_RESOURCE_POLICY }).evalJson('data.policy.allow', { input, data });
      const theirs = regoPolicyEngine.compile({ 'p.rego': upstream }).evalJson('data.policy.allow', { input, data });
      assert.equal(ours, theirs);
    });
  }
});
