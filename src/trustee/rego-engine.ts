/**
 * The Rego engine (`src/rego`) behind the `PolicyEngine` seam the AS and KBS use.
 * @module
 */
import { compile } from '../rego/index.js';
import type { PolicyEngine } from './as/policy-engine.js';

/** Policies compile with strict builtin errors (regorus' behaviour, which Trustee uses). */
export const regoPolicyEngine: PolicyEngine = {
  compile: (modules, options) => compile(modules, { ...(options?.builtins ? { builtins: options.builtins } : {}), strictBuiltinErrors: true }),
};

/** Kept for callers written before the engine was merged. */
export async function loadPolicyEngine(): Promise<PolicyEngine> {
  return regoPolicyEngine;
}
