/**
 * Cost of explainable denials: one appraisal of TPM claims with the default CPU policy when it
 * affirms (no explain pass) and when PCR 11 matches no reference value (trust claims evaluated, then
 * explained). Baseline: the affirming appraisal in the same run.
 */
import { appraise } from '../src/trustee/as/appraisal.js';
import { DEFAULT_AS_POLICIES } from '../src/trustee/as/default-policies/index.js';
import { PolicyStore } from '../src/trustee/as/policy.js';
import { regoPolicyEngine } from '../src/trustee/rego-engine.js';
import { MemoryStore } from '../src/trustee/storage/memory.js';
import type { BenchSection } from './run.js';
import { fmt, measure } from './util.js';

export async function run(): Promise<BenchSection> {
  const policies = new PolicyStore(new MemoryStore(), 'attestation_service_policy', regoPolicyEngine, { query_reference_value: 1 });
  await policies.set('default_cpu', DEFAULT_AS_POLICIES.default_cpu!);
  const pcr = 'ab'.repeat(32);
  const input = { tpm: { pcr11: pcr, ak_public: 'ak' } };
  const snap = (p: string) => ({ values: new Map<string, string[]>([['tpm_pcr11', [p]], ['trusted_aks', ['ak']]]), expired: new Set<string>() });
  const good = snap(pcr);
  const bad = snap('cd'.repeat(32));
  const affirming = await measure(() => appraise(policies, 'default_cpu', input, good, () => {}));
  const lowered = await measure(() => appraise(policies, 'default_cpu', input, bad, () => {}));
  const rows = [
    '| appraisal | ops/s | p50 µs | p99 µs | time vs affirming |',
    '|---|---:|---:|---:|---:|',
    `| affirming (no explain pass) | ${fmt(affirming.opsPerSec)} | ${fmt(affirming.p50 * 1000)} | ${fmt(affirming.p99 * 1000)} | 1.00× |`,
    `| executables lowered (explained) | ${fmt(lowered.opsPerSec)} | ${fmt(lowered.p50 * 1000)} | ${fmt(lowered.p99 * 1000)} | ${fmt(affirming.opsPerSec / lowered.opsPerSec, 2)}× |`,
  ];
  return { title: 'Explainable denials (AS appraisal)', body: rows.join('\n') };
}
