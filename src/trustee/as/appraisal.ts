/**
 * One appraisal: evaluate `data.policy.trust_claims` and `data.policy.extensions` of an AS policy
 * with `query_reference_value` bound to a reference-value snapshot (reference/trustee.md §3.2).
 * Expired reference values are withheld and reported through `note`.
 * @module
 */
import { NotFound, PolicyDenied } from '../../core/index.js';
import { TRUST_CLAIMS, type TrustClaim, type TrustVector } from '../../protocol/index.js';
import { withCheck } from '../check-tag.js';
import type { ReferenceValueSnapshot } from '../rvps/reference-values.js';
import { explainAppraisal, loweredClaims } from './explain-appraisal.js';
import type { ClaimExplanation } from './explain.js';
import type { HostBuiltins } from './policy-engine.js';
import type { PolicyStore } from './policy.js';

export const REFERENCE_VALUE_BUILTIN = 'query_reference_value';

export interface Appraisal {
  vector: TrustVector;
  /** Extra submod members from `data.policy.extensions` (`name` → `value`). */
  extensions: Record<string, unknown>;
  /** Per lowered trust claim (warning or contraindicated tier), why; absent when none is lowered. */
  explanations?: ClaimExplanation[];
}

function referenceValueBuiltins(rv: ReferenceValueSnapshot, note: (n: string) => void, misses?: Set<string>): HostBuiltins {
  return {
    [REFERENCE_VALUE_BUILTIN]: { arity: 1, fn: referenceValueLookup(rv, note, misses) },
  };
}

// Returned, not assigned to a property: tsx (esbuild keepNames) would rename the closure on every appraisal.
function referenceValueLookup(rv: ReferenceValueSnapshot, note: (n: string) => void, misses?: Set<string>): (id: unknown) => unknown {
  return (id) => {
    if (typeof id !== 'string') return undefined;
    const v = rv.values.get(id);
    if (v === undefined) {
      if (rv.expired.has(id)) note(`reference value ${id} expired and was withheld`);
      misses?.add(id);
    }
    return v;
  };
}

/** Rounds of fetching a partial snapshot's missing names before the policy's answer stands. */
const MAX_FETCH_ROUNDS = 8;

/** Appraise `input` with policy `policyId`; throws `PolicyDenied` (rule `as.appraisal.*`) when the policy yields no trust vector. */
export async function appraise(
  policies: PolicyStore,
  policyId: string,
  input: Record<string, unknown>,
  rv: ReferenceValueSnapshot,
  note: (n: string) => void,
): Promise<Appraisal> {
  let policy;
  try {
    policy = await policies.get(policyId);
  } catch (err) {
    if (err instanceof NotFound) throw withCheck(err, 'as.policy.missing');
    throw err;
  }
  // A partial snapshot (remote RVPS): evaluate, fetch the names the policy looked up in vain, and
  // evaluate again until no new name is missing. Evaluation is deterministic, so the last round is
  // the answer the policy gives with every value it asked for.
  let builtins = referenceValueBuiltins(rv, note);
  if (rv.more) {
    const asked = new Set<string>();
    for (let round = 0; round < MAX_FETCH_ROUNDS; round++) {
      const more = rv.more;
      if (!more) break;
      const misses = new Set<string>();
      const probe = referenceValueBuiltins(rv, () => {}, misses);
      for (const query of ['data.policy', 'data.policy.trust_claims', 'data.policy.extensions']) {
        try {
          policy.evalJson(query, { input, builtins: probe });
        } catch {
          // Errors are reported by the real evaluation below.
        }
      }
      const fresh = [...misses].filter((n) => !asked.has(n));
      if (fresh.length === 0) break;
      fresh.forEach((n) => asked.add(n));
      rv = await more(fresh);
    }
    builtins = referenceValueBuiltins(rv, note);
  }
  let claims: unknown;
  let extensions: unknown;
  try {
    // One evaluation of the whole package is about half the cost of two rule queries. A package
    // with some other rule that fails is evaluated rule by rule instead, as upstream does.
    let doc: unknown;
    try {
      doc = policy.evalJson('data.policy', { input, builtins, memo: true });
    } catch {
      doc = undefined;
    }
    if (doc !== null && typeof doc === 'object' && 'trust_claims' in doc) {
      claims = (doc as Record<string, unknown>).trust_claims;
      extensions = (doc as Record<string, unknown>).extensions;
    } else {
      claims = policy.evalJson('data.policy.trust_claims', { input, builtins, memo: true });
      extensions = policy.evalJson('data.policy.extensions', { input, builtins, memo: true });
    }
  } catch (cause) {
    throw new PolicyDenied(`appraisal policy ${policyId} failed to evaluate: ${(cause as Error).message}`, { rule: 'as.appraisal.evaluate', cause });
  }
  const vector: TrustVector = {};
  if (claims !== null && typeof claims === 'object' && !Array.isArray(claims)) {
    for (const [k, v] of Object.entries(claims)) {
      if (!(TRUST_CLAIMS as readonly string[]).includes(k)) continue;
      if (!Number.isInteger(v) || (v as number) < -127 || (v as number) > 127) {
        throw new PolicyDenied(`appraisal policy ${policyId}: trust claim ${k} must be an integer in -127..127`, { rule: 'as.appraisal.trust_claims' });
      }
      vector[k as TrustClaim] = v as number;
    }
  }
  if (Object.keys(vector).length === 0) throw new PolicyDenied(`appraisal policy ${policyId} set no trust claim`, { rule: 'as.appraisal.trust_claims' });
  const ext: Record<string, unknown> = {};
  if (Array.isArray(extensions)) {
    for (const e of extensions) {
      if (e && typeof e === 'object' && typeof (e as { name?: unknown }).name === 'string') ext[(e as { name: string }).name] = (e as { value?: unknown }).value;
    }
  }
  const out: Appraisal = { vector, extensions: ext };
  // Slow path only: an affirming (or none) vector is returned without a second evaluation.
  if (loweredClaims(vector).length > 0) {
    const text = await policies.text(policyId).catch(() => undefined);
    const explanations = explainAppraisal({ policy, text, policyId, input, builtins, vector });
    if (explanations.length > 0) out.explanations = explanations;
  }
  return out;
}
