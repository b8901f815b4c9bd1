/**
 * The slow path of an appraisal: when some trust claim ended in the warning or contraindicated tier,
 * evaluate the policy again in explain mode and say, per lowered claim, which expression failed and
 * with which values (reference-value ids and the values compared; evidence claims and reference
 * values are not secrets).
 * @module
 */
import { TRUST_CLAIMS, tierOf, type TrustClaim, type TrustVector } from '../../protocol/index.js';
import { explainRule, succeededBody, type ClaimExplanation } from './explain.js';
import type { CompiledPolicy, HostBuiltins } from './policy-engine.js';

/** Claims whose value is in the warning or contraindicated tier. */
export function loweredClaims(vector: TrustVector): TrustClaim[] {
  return TRUST_CLAIMS.filter((c) => {
    const v = vector[c];
    return v !== undefined && (tierOf(v) === 'warning' || tierOf(v) === 'contraindicated');
  });
}

/** Wrap host builtins so the string arguments they were called with are collected. */
function recording(builtins: HostBuiltins, queried: Set<string>): HostBuiltins {
  const out: HostBuiltins = {};
  for (const [name, b] of Object.entries(builtins)) {
    out[name] = {
      arity: b.arity,
      fn: (...args: unknown[]) => {
        for (const a of args) if (typeof a === 'string') queried.add(a);
        return b.fn(...args);
      },
    };
  }
  return out;
}

export interface AppraisalExplainArgs {
  policy: CompiledPolicy;
  /** Rego text of the policy, to quote expressions. */
  text: string | undefined;
  policyId: string;
  input: Record<string, unknown>;
  builtins: HostBuiltins;
  vector: TrustVector;
}

/** One explanation per lowered claim (empty when none is lowered or the engine cannot explain). */
export function explainAppraisal(a: AppraisalExplainArgs): ClaimExplanation[] {
  const lowered = loweredClaims(a.vector);
  if (lowered.length === 0 || !a.policy.eval) return [];
  const queried = new Set<string>();
  let trace;
  try {
    trace = a.policy.eval('data.policy.trust_claims', { input: a.input, builtins: recording(a.builtins, queried), explain: true }).explain ?? [];
  } catch {
    return [];
  }
  const ctx = { text: a.text, pkg: 'data.policy', queried };
  const out: ClaimExplanation[] = [];
  for (const claim of lowered) {
    const base = { claim, value: a.vector[claim]!, policy: a.policyId };
    const rule = `data.policy.${claim}`;
    const set = succeededBody(trace, rule);
    if (set) {
      out.push({ ...base, reason: 'set', at: set.at });
      continue;
    }
    const failed = explainRule(trace, rule, ctx);
    if (failed.length === 0) out.push({ ...base, reason: 'default' });
    for (const f of failed) out.push({ ...base, reason: 'failed', ...f });
  }
  return out;
}
