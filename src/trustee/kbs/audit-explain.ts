/**
 * What the audit records add to say *why*: the lowered trust claims of an attestation, and for a
 * refused resource the failing resource-policy expression, the token's EAR status and trust vector
 * summary, and which attestation produced the token. Built on failure/slow paths only.
 * @module
 */
import { sha256, toHex } from '../../core/index.js';
import { TRUST_CLAIMS } from '../../protocol/index.js';
import { explainRule, type ClaimExplanation } from '../as/explain.js';
import type { CompiledPolicy } from '../as/policy-engine.js';

/** The attestation token a request presented, as the audit shows it (no token content that grants access). */
export interface TokenSummary {
  /** First 16 hex digits of SHA-256 of the token: matches `tokenId` of the attest record. */
  id: string;
  /** Worst `ear.status` over the submods. */
  status?: string;
  /** Per submod: `warning: executables=33 hardware=2` (claims that are not 0). */
  trust: Record<string, string>;
  issuedAt?: string;
  /** The attest request that produced the token: from its `coco.attest-request-id` claim (our own AS), else when this process still remembers it (a remote AS). */
  attestation?: { requestId: string; session?: string };
}

/** A short, non-reversible id of a token for correlating audit records. */
export function tokenId(token: string): string {
  return toHex(sha256(token)).slice(0, 16);
}

const STATUS_ORDER = ['none', 'affirming', 'warning', 'contraindicated'];

/** Status and non-zero trust claims of each submod of EAR claims. */
export function summarizeToken(token: string, claims: Record<string, unknown>): TokenSummary {
  const out: TokenSummary = { id: tokenId(token), trust: {} };
  const submods = claims.submods;
  let worst = -1;
  if (submods !== null && typeof submods === 'object' && !Array.isArray(submods)) {
    for (const [name, sub] of Object.entries(submods as Record<string, unknown>)) {
      if (sub === null || typeof sub !== 'object') continue;
      const s = sub as Record<string, unknown>;
      const status = typeof s['ear.status'] === 'string' ? s['ear.status'] : 'unknown';
      worst = Math.max(worst, STATUS_ORDER.indexOf(status));
      const vector = s['ear.trustworthiness-vector'];
      const parts: string[] = [];
      if (vector !== null && typeof vector === 'object') {
        for (const c of TRUST_CLAIMS) {
          const v = (vector as Record<string, unknown>)[c];
          if (typeof v === 'number' && v !== 0) parts.push(`${c}=${v}`);
        }
      }
      out.trust[name.slice(0, 64)] = parts.length ? `${status}: ${parts.join(' ')}` : status;
    }
  }
  if (worst >= 0) out.status = STATUS_ORDER[worst]!;
  const issued = typeof claims.iat === 'number' ? new Date(claims.iat * 1000) : undefined;
  if (issued && !Number.isNaN(issued.getTime())) out.issuedAt = issued.toISOString();
  return out;
}

/**
 * Evaluate the resource policy again in explain mode and name its failing `allow` expression(s).
 * Empty when the engine cannot explain or no body of `allow` applied.
 */
export function explainResourcePolicy(policy: CompiledPolicy, text: string | undefined, policyId: string, input: unknown, data: unknown): ClaimExplanation[] {
  if (!policy.eval) return [];
  let trace;
  try {
    trace = policy.eval('data.policy.allow', { input, data, explain: true }).explain ?? [];
  } catch {
    return [];
  }
  const failed = explainRule(trace, 'data.policy.allow', { text, pkg: 'data.policy', queried: new Set() });
  if (failed.length === 0) return [{ claim: 'allow', policy: policyId, reason: 'default' }];
  return failed.map((f) => ({ claim: 'allow', policy: policyId, reason: 'failed' as const, ...f }));
}

const auditFields = new WeakMap<object, Record<string, unknown>>();

/** Attach extra audit fields to an error (merged into its audit record); returns the error. */
export function withAuditFields<E extends Error>(err: E, fields: Record<string, unknown>): E {
  auditFields.set(err, { ...(auditFields.get(err) ?? {}), ...fields });
  return err;
}

/** Extra audit fields attached to an error, if any. */
export function auditFieldsOf(err: unknown): Record<string, unknown> {
  return err !== null && typeof err === 'object' ? (auditFields.get(err) ?? {}) : {};
}

/** Extra fields of an attest record: explanations of lowered claims, the token's status and id. */
export function attestAuditFields(token: string, claims: Record<string, unknown>, explanations: readonly ClaimExplanation[]): Record<string, unknown> {
  const summary = summarizeToken(token, claims);
  const out: Record<string, unknown> = { tokenId: summary.id };
  if (summary.status) out.earStatus = summary.status;
  if (explanations.length > 0) out.explain = [...explanations];
  return out;
}
