/**
 * Cost of explainable denials: one appraisal of TPM claims with the default CPU policy when it
 * affirms (no explain pass; evaluated in full, or answered by the policy's memo) and when PCR 11
 * matches no reference value (trust claims evaluated, then explained). Baseline: the fully evaluated
 * affirming appraisal in the same run.
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
  const snap = (p: string) => ({ values: new Map<string, string[]>([['tpm_pcr11', [p]], ['trusted_aks', ['ak']]]), expired: new Set<string>() });
  // 64 guests with their own PCR 11 and matching reference values, taken in turn: more distinct
  // inputs than the policy's memo keeps (16), so each of these appraisals is evaluated in full.
  const guests = Array.from({ length: 64 }, (_, i) => {
    const pcr = i.toString(16).padStart(2, '0').repeat(32);
    return { input: { tpm: { pcr11: pcr, ak_public: 'ak' } }, good: snap(pcr) };
  });
  let i = 0;
  const evaluated = await measure(() => {
    const g = guests[i++ % guests.length]!;
    return appraise(policies, 'default_cpu', g.input, g.good, () => {});
  });
  const same = guests[0]!;
  const remembered = await measure(() => appraise(policies, 'default_cpu', same.input, same.good, () => {}));
  const bad = snap('cd'.repeat(32));
  const lowered = await measure(() => appraise(policies, 'default_cpu', same.input, bad, () => {}));
  const row = (what: string, m: typeof evaluated) =>
    `| ${what} | ${fmt(m.opsPerSec)} | ${fmt(m.p50 * 1000)} | ${fmt(m.p99 * 1000)} | ${fmt(evaluated.opsPerSec / m.opsPerSec, 2)}× |`;
  const rows = [
    '| appraisal | ops/s | p50 µs | p99 µs | time vs evaluated affirming |',
    '|---|---:|---:|---:|---:|',
    row('affirming, evaluated (no explain pass)', evaluated),
    row('affirming, the same claims again (answered by the memo)', remembered),
    row('executables lowered (explained)', lowered),
  ];
  const note = [
    '',
    'An appraisal whose policy reads the same claim values and gets the same reference values as an earlier one is answered',
    'from the compiled policy\'s memo (src/rego/memo.ts); an explained one always runs the explain pass.',
  ];
  return { title: 'Explainable denials (AS appraisal)', body: [...rows, ...note].join('\n') };
}
